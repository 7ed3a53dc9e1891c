/**
 * Every error in a request ends as ONE exception event on the request's SERVER span, in real
 * `node -r register` processes exporting to a real OTLP gRPC receiver; the app answers, crashes and
 * prints exactly as it does without the agent. Outgoing request failures are on the CLIENT span.
 */
import { expect } from 'chai';
import { startApp, runApp } from '../helpers/app-process';
import type { AppOptions, RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { Receiver, ReceivedSpan } from '../helpers/receivers';

const FAST_EXPORT = { TRACING_SCHEDULE_DELAY_MS: '50', TRACING_LOG_LEVEL: 'warn' };

interface ExpressErrorCase {
  path: string;
  /** Only for this express major (async handlers are express 5). */
  only?: 4 | 5;
  exceptionType: string;
  message: string;
  /** Expected span `error.type`; undefined: must be absent (a 4xx is not a server failure). */
  errorType?: string;
  errorCode?: string;
  spanStatus: 'ERROR' | 'UNSET';
  httpStatus: number;
}

const EXPRESS_CASES: ExpressErrorCase[] = [
  { path: '/sync-throw', exceptionType: 'TypeError', message: 'sync boom', errorType: 'TypeError', spanStatus: 'ERROR', httpStatus: 500 },
  { path: '/async-reject', only: 5, exceptionType: 'RangeError', message: 'async boom', errorType: 'RangeError', spanStatus: 'ERROR', httpStatus: 500 },
  { path: '/next-error', exceptionType: 'Error', message: 'next boom', errorType: 'E_NEXT', errorCode: 'E_NEXT', spanStatus: 'ERROR', httpStatus: 500 },
  { path: '/not-found', exceptionType: 'Error', message: 'no such user', spanStatus: 'UNSET', httpStatus: 404 },
  {
    path: '/handled/throw',
    exceptionType: 'Error',
    message: 'validation boom',
    errorType: 'E_VALIDATION',
    errorCode: 'E_VALIDATION',
    spanStatus: 'ERROR',
    httpStatus: 422,
  },
];

const EXPRESS_APPS = [
  { major: 4 as const, script: fixture('express4/errors-app.js') },
  { major: 5 as const, script: fixture('errors-express5-app.js') },
];

function serverSpanAt(spans: ReceivedSpan[], path: string): ReceivedSpan | undefined {
  return spans.find((span) => span.kind === 'SERVER' && span.attributes['url.path'] === path);
}

function exceptionEvents(span: ReceivedSpan) {
  return span.events.filter((event) => event.name === 'exception');
}

async function fetchText(url: string): Promise<{ status: number; contentType: string | null; body: string }> {
  const response = await fetch(url);
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

/** Node's own crash report, minus the agent's lines and the port the app happened to get. */
function comparableOutput(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('otel-agent:'))
    .map((line) => line.replace(/LISTENING \d+/, 'LISTENING <port>'))
    .join('\n');
}

/**
 * Node's crash report with the stack frames of libraries dropped: the agent's wrappers are on the
 * stack of a request handler (as any instrumentation's are), and they push Node-internal frames past
 * Error.stackTraceLimit. Everything else must be identical: the source excerpt of the throw site (the
 * app's file and line, not an instrumentation's rethrow), the error line, every frame in the app's own
 * code, the Node version line.
 */
function withoutLibraryFrames(text: string): string {
  return comparableOutput(text)
    .split('\n')
    .filter((line) => !/^\s+at /.test(line) || !/node_modules|\/build\/src\/|\/build\/agent-bundle\.js|\(node:|at node:/.test(line))
    .join('\n');
}

describe('error events (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  const apps: RunningApp[] = [];
  const track = (app: RunningApp) => (apps.push(app), app);

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
  });
  after(async () => {
    await receiver.close();
  });
  beforeEach(() => receiver.reset());
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop('SIGKILL')));
  });

  for (const { major, script } of EXPRESS_APPS) {
    describe(`express ${major}`, () => {
      for (const testCase of EXPRESS_CASES.filter((c) => !c.only || c.only === major)) {
        it(`${testCase.path}: one exception event on the SERVER span, response as without the agent`, async () => {
          // production: express's final handler answers without a stack trace, so bodies compare exactly
          const env = { NODE_ENV: 'production' };
          const bare = track(startApp(script, { agent: 'none', env }));
          // The error-body trace_id patch changes JSON error bodies on purpose; this compares what recording does.
          const tracedEnv = { ...env, ...FAST_EXPORT, TRACING_ENDPOINT: receiver.url, TRACING_ERROR_BODY_TRACE_ID: 'false' };
          const traced = track(startApp(script, { env: tracedEnv }));
          const [barePort, tracedPort] = await Promise.all([bare.port(), traced.port()]);
          expect(traced.stdout).to.include(`express@${major}.`);

          const expected = await fetchText(`http://127.0.0.1:${barePort}${testCase.path}`);
          const actual = await fetchText(`http://127.0.0.1:${tracedPort}${testCase.path}`);
          expect(expected.status).to.equal(testCase.httpStatus);
          expect(actual).to.deep.equal(expected);

          const spans = await receiver.waitForSpans((all) => serverSpanAt(all, testCase.path) !== undefined);
          const server = serverSpanAt(spans, testCase.path)!;
          const events = exceptionEvents(server);
          expect(events, JSON.stringify(events.map((e) => e.attributes))).to.have.length(1);
          const attributes = events[0].attributes;
          expect(attributes['exception.type']).to.equal(testCase.exceptionType);
          expect(attributes['exception.message']).to.equal(testCase.message);
          expect(String(attributes['exception.stacktrace'])).to.match(new RegExp(`^${testCase.exceptionType}: ${testCase.message}\\n\\s+at `));
          expect(String(attributes['exception.stacktrace'])).to.include('errors-express-routes.js');
          if (testCase.errorType) expect(server.attributes['error.type']).to.equal(testCase.errorType);
          else expect(server.attributes).not.to.have.property('error.type');
          if (testCase.errorCode) expect(server.attributes['error.code']).to.equal(testCase.errorCode);
          else expect(server.attributes).not.to.have.property('error.code');
          expect(server.status.code).to.equal(testCase.spanStatus);
          expect(server.attributes['http.response.status_code']).to.equal(testCase.httpStatus);
        });
      }

      it('a successful request has no exception event; upstream still records the error on the layer span', async () => {
        const app = track(startApp(script, { env: { ...FAST_EXPORT, TRACING_ENDPOINT: receiver.url } }));
        const port = await app.port();
        await fetchText(`http://127.0.0.1:${port}/ok`);
        await fetchText(`http://127.0.0.1:${port}/sync-throw`);
        const spans = await receiver.waitForSpans((all) => serverSpanAt(all, '/ok') !== undefined && serverSpanAt(all, '/sync-throw') !== undefined);
        expect(exceptionEvents(serverSpanAt(spans, '/ok')!)).to.have.length(0);
        expect(serverSpanAt(spans, '/ok')!.status.code).to.equal('UNSET');
        const failing = serverSpanAt(spans, '/sync-throw')!;
        const layerEvents = spans.filter((span) => span.traceId === failing.traceId && span.scope.name.includes('express')).flatMap(exceptionEvents);
        expect(layerEvents.length).to.be.greaterThan(0);
      });
    });
  }

  it('TRACING_CAPTURE_STACKTRACE=false: the exception event has no stack trace', async () => {
    const app = track(
      startApp(fixture('errors-express5-app.js'), { env: { ...FAST_EXPORT, TRACING_ENDPOINT: receiver.url, TRACING_CAPTURE_STACKTRACE: 'false' } }),
    );
    const port = await app.port();
    await fetchText(`http://127.0.0.1:${port}/sync-throw`);
    const spans = await receiver.waitForSpans((all) => serverSpanAt(all, '/sync-throw') !== undefined);
    const [event] = exceptionEvents(serverSpanAt(spans, '/sync-throw')!);
    expect(event.attributes).to.include({ 'exception.type': 'TypeError', 'exception.message': 'sync boom' });
    expect(event.attributes).not.to.have.property('exception.stacktrace');
  });

  describe('raw http: errors that crash the process', () => {
    /** Starts the fixture, sends the request that fails, waits for the process to end. */
    async function crash(mode: string, agent: boolean) {
      const options: AppOptions = {
        agent: agent ? 'require' : 'none',
        // A long schedule delay: the span can only arrive through the exit-time flush.
        env: { MODE: mode, TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '60000' },
      };
      const app = track(startApp(fixture('errors-http-app.js'), options));
      const port = await app.port();
      await fetch(`http://127.0.0.1:${port}/crash`).catch(() => undefined); // the process dies before answering
      const timer = setTimeout(() => app.child.kill('SIGKILL'), 20_000);
      const exit = await app.exited();
      clearTimeout(timer);
      return { ...exit, stdout: app.stdout, stderr: app.stderr };
    }

    const CRASHES = [
      { mode: 'sync-throw', message: 'raw sync boom', compare: withoutLibraryFrames },
      { mode: 'timeout-throw', message: 'raw timer boom', compare: comparableOutput },
      { mode: 'unhandled-rejection', message: 'raw rejected boom', compare: comparableOutput },
    ];

    for (const { mode, message, compare } of CRASHES) {
      it(`${mode}: same exit code and stderr as without the agent, and the server span with the event arrives`, async () => {
        const bare = await crash(mode, false);
        const traced = await crash(mode, true);
        expect(bare.code).to.equal(1);
        expect({ code: traced.code, signal: traced.signal }).to.deep.equal({ code: bare.code, signal: bare.signal });
        expect(comparableOutput(traced.stdout)).to.equal(comparableOutput(bare.stdout));
        expect(bare.stderr).to.include(message);
        expect(compare(traced.stderr)).to.equal(compare(bare.stderr));

        const spans = await receiver.waitForSpans((all) => serverSpanAt(all, '/crash') !== undefined);
        const server = serverSpanAt(spans, '/crash')!;
        const events = exceptionEvents(server);
        expect(events, JSON.stringify(events.map((e) => e.attributes))).to.have.length(1);
        expect(events[0].attributes).to.include({ 'exception.type': 'Error', 'exception.message': message });
        expect(String(events[0].attributes['exception.stacktrace'])).to.include('errors-http-app.js');
        expect(server.attributes['error.type']).to.equal('Error');
        expect(server.status.code).to.equal('ERROR');
      });
    }

    // Falsy and hostile thrown values: upstream's safeExecuteInTheMiddle swallowed the falsy ones (the
    // process lived on, the request hung) and its catch read `message`, replacing a hostile error.
    const THROWN_VALUES = [
      { mode: 'throw-null', type: 'null' },
      { mode: 'throw-undefined', type: 'undefined' },
      { mode: 'throw-zero', type: 'number' },
      { mode: 'throw-empty-string', type: 'string' },
      { mode: 'throw-false', type: 'boolean' },
      { mode: 'throw-message-getter', type: 'Error' },
      { mode: 'throw-symbol', type: 'symbol' },
      { mode: 'throw-proxy', type: 'Error' },
    ];
    for (const { mode, type } of THROWN_VALUES) {
      it(`${mode}: the process crashes as without the agent, with the app's throw site, and the value is on the span`, async () => {
        receiver.reset();
        const bare = await crash(mode, false);
        const traced = await crash(mode, true);
        expect(bare.code).to.equal(1);
        expect({ code: traced.code, signal: traced.signal }).to.deep.equal({ code: bare.code, signal: bare.signal });
        expect(withoutLibraryFrames(traced.stderr)).to.equal(withoutLibraryFrames(bare.stderr));
        // withoutLibraryFrames keeps the report's excerpt: the app's throw site, not a wrapper's rethrow.
        if (type !== 'Error') expect(traced.stderr.trimStart().split('\n')[0]).to.match(/errors-http-app\.js:\d+$/);
        const spans = await receiver.waitForSpans((all) => serverSpanAt(all, '/crash') !== undefined);
        const server = serverSpanAt(spans, '/crash')!;
        const events = exceptionEvents(server);
        expect(events).to.have.length(1);
        expect(events[0].attributes['exception.type']).to.equal(type);
        expect(server.status.code).to.equal('ERROR');
      });
    }

    it("an app's own uncaughtException listener receives the very value the handler threw", async () => {
      for (const mode of ['throw-null', 'throw-undefined', 'throw-message-getter', 'throw-proxy']) {
        const run = async (agent: boolean) => {
          const app = track(
            startApp(fixture('errors-http-app.js'), { agent: agent ? 'require' : 'none', env: { MODE: mode, CATCH: '1', TRACING_ENDPOINT: receiver.url } }),
          );
          const port = await app.port();
          await fetch(`http://127.0.0.1:${port}/crash`).catch(() => undefined);
          return { ...(await app.exited()), stdout: comparableOutput(app.stdout) };
        };
        const [bare, traced] = [await run(false), await run(true)];
        expect(bare.code, mode).to.equal(7);
        expect(bare.stdout, mode).to.include('APP-SAW same=true');
        expect(traced, mode).to.deep.equal(bare);
      }
    });

    it("an app with its own 'unhandledRejection' handler keeps running exactly as without the agent", async () => {
      async function run(agent: boolean) {
        const app = track(
          startApp(fixture('errors-http-app.js'), {
            agent: agent ? 'require' : 'none',
            env: { MODE: 'app-rejection-handler', ...FAST_EXPORT, TRACING_ENDPOINT: receiver.url },
          }),
        );
        const port = await app.port();
        const first = await fetchText(`http://127.0.0.1:${port}/first`);
        await app.waitForOutput('APP-HANDLED');
        const second = await fetchText(`http://127.0.0.1:${port}/second`);
        expect(app.child.exitCode, 'still running').to.equal(null);
        const exit = await app.stop('SIGTERM');
        return { responses: [first, second], exit, stdout: app.stdout, stderr: app.stderr };
      }
      const bare = await run(false);
      const traced = await run(true);
      expect(bare.responses.map((r) => r.body)).to.deep.equal(['still serving', 'still serving']);
      expect(traced.responses).to.deep.equal(bare.responses);
      expect(traced.exit).to.deep.equal(bare.exit);
      expect(comparableOutput(traced.stdout)).to.equal(comparableOutput(bare.stdout));
      expect(comparableOutput(traced.stderr)).to.equal(comparableOutput(bare.stderr));
    });
  });

  describe('outgoing request failures (upstream instrumentations)', () => {
    const CLIENT_CASES = ['undici', 'fetch', 'http'].flatMap((client) => ['refused', 'reset', 'timeout'].map((failure) => `${client}-${failure}`));

    async function runClients() {
      const result = await runApp(fixture('errors-client-app.js'), { env: { ...FAST_EXPORT, TRACING_ENDPOINT: receiver.url } });
      expect(result.code, result.stderr).to.equal(0);
      const outcomes = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, { name: string }>;
      for (const name of CLIENT_CASES) expect(outcomes[name].name, name).not.to.equal('no error');
      const spans = await receiver.waitForSpans((all) => CLIENT_CASES.every((name) => clientSpan(all, name)));
      return spans;
    }

    function clientSpan(spans: ReceivedSpan[], name: string): ReceivedSpan | undefined {
      return spans.find((span) => span.kind === 'CLIENT' && String(span.attributes['url.full']).endsWith(`/${name}`));
    }

    it('refused, reset and timed-out requests: the CLIENT span has the exception event and status ERROR', async () => {
      const spans = await runClients();
      for (const name of CLIENT_CASES) {
        const span = clientSpan(spans, name)!;
        expect(exceptionEvents(span), name).to.have.length(1);
        expect(span.status.code, name).to.equal('ERROR');
      }
      // http sets error.type itself (to the error's name)
      for (const name of CLIENT_CASES.filter((n) => n.startsWith('http-'))) {
        expect(clientSpan(spans, name)!.attributes['error.type'], name).to.equal('Error');
      }
      expect(exceptionEvents(clientSpan(spans, 'undici-refused')!)[0].attributes['exception.type']).to.equal('ECONNREFUSED');
    });

    // instrumentation-undici puts error.type only on its metrics. src/errors/client-error-type.ts
    // (ClientErrorTypeProcessor) fills it in; it runs once listed in the provider's spanProcessors
    // (src/sdk/tracing.ts, owned elsewhere). Enable this test with that wiring.
    it('undici and fetch CLIENT spans carry error.type', async () => {
      const spans = await runClients();
      const expected: Record<string, string> = { refused: 'ECONNREFUSED', reset: 'UND_ERR_SOCKET', timeout: 'TimeoutError' };
      for (const name of CLIENT_CASES.filter((n) => !n.startsWith('http-'))) {
        expect(clientSpan(spans, name)!.attributes['error.type'], name).to.equal(expected[name.split('-')[1]]);
      }
    });
  });
});
