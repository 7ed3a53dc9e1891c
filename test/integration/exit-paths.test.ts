/**
 * Every way a process ends flushes its spans, and ends exactly as it would without the agent:
 * same exit code or signal, same app output.
 */
import { expect } from 'chai';
import { runApp, startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver, startOtlpHttpReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';
import { refusedPort } from '../helpers/refused-port';

interface ExitCase {
  mode: string;
  /** Signal the test sends once the app printed READY. */
  send?: NodeJS.Signals;
}

const CASES: ExitCase[] = [
  { mode: 'normal' },
  { mode: 'exit0' },
  { mode: 'exit3' },
  { mode: 'uncaught' },
  { mode: 'unhandled' },
  { mode: 'sigterm-nohandler', send: 'SIGTERM' },
  { mode: 'sigint-nohandler', send: 'SIGINT' },
  { mode: 'sigterm-handler', send: 'SIGTERM' },
];

async function runCase(testCase: ExitCase, agent: boolean, targetUrl: string, receiver: Receiver) {
  const app: RunningApp = startApp(fixture('exit-app.js'), {
    agent: agent ? 'require' : 'none',
    // A long schedule delay: spans can only arrive through the exit-time flush.
    env: { MODE: testCase.mode, TARGET_URL: targetUrl, TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '60000' },
  });
  if (testCase.send) {
    await app.waitForOutput('READY');
    app.child.kill(testCase.send);
  }
  const exit = await app.exited();
  return { ...exit, stdout: app.stdout, stderr: app.stderr };
}

/** Node's own fatal-error output, minus the agent's lines and file paths that differ by run. */
function comparableStderr(stderr: string): string {
  return stderr
    .split('\n')
    .filter((line) => !line.startsWith('otel-agent:'))
    .join('\n');
}

describe('exit paths (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  let target: RunningApp;
  let targetUrl: string;

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
    target = startApp(fixture('http-app.js'), { agent: 'none' });
    targetUrl = `http://127.0.0.1:${await target.port()}`;
  });
  after(async () => {
    await target.stop('SIGKILL');
    await receiver.close();
  });

  for (const testCase of CASES) {
    it(`${testCase.mode}: same exit code/signal and output as without the agent, and the span arrives`, async () => {
      const bare = await runCase(testCase, false, targetUrl, receiver);
      receiver.reset();
      const traced = await runCase(testCase, true, targetUrl, receiver);
      expect({ code: traced.code, signal: traced.signal }).to.deep.equal({ code: bare.code, signal: bare.signal });
      expect(traced.stdout).to.equal(bare.stdout);
      expect(comparableStderr(traced.stderr)).to.equal(comparableStderr(bare.stderr));
      expect(traced.stdout).not.to.include('AFTER-EXIT');
      // the outgoing request's client span was exported before the process ended
      const clientSpans = receiver.spans.filter((span) => span.kind === 'CLIENT' && String(span.attributes['url.full']).endsWith('/health'));
      expect(clientSpans, `spans received: ${receiver.spans.map((s) => s.name).join(', ')}`).to.have.length(1);
    });
  }
});

describe('exit before the export worker has started (integration)', function () {
  this.timeout(60_000);

  it("a span ended and process.exit(3) in the main module's first tick: exit code 3 and the span arrives", async () => {
    const receiver = await startOtlpGrpcReceiver();
    try {
      const exit = await runApp(fixture('sync-exit-app.js'), { env: { TRACING_EXPORTER: 'otlp', TRACING_ENDPOINT: receiver.url } });
      expect({ code: exit.code, signal: exit.signal }, exit.stderr).to.deep.equal({ code: 3, signal: null });
      expect(receiver.spans.map((span) => span.name)).to.deep.equal(['ended before the first event-loop turn']);
    } finally {
      await receiver.close();
    }
  });
});

describe('a dead collector never keeps the app alive (integration)', function () {
  this.timeout(60_000);

  for (const exporter of ['otlp', 'otlp-http'] as const) {
    it(`${exporter} to a refused port: a finished script exits within TRACING_SHUTDOWN_TIMEOUT_MS + 1 s, exit code unchanged`, async () => {
      const target = startApp(fixture('http-app.js'), { agent: 'none' });
      try {
        const targetUrl = `http://127.0.0.1:${await target.port()}`;
        const started = Date.now();
        const app = startApp(fixture('exit-app.js'), {
          env: {
            MODE: 'exit3',
            TARGET_URL: targetUrl,
            TRACING_EXPORTER: exporter,
            TRACING_ENDPOINT: exporter === 'otlp' ? 'http://127.0.0.1:9' : 'http://127.0.0.1:9/v1/traces',
            TRACING_SHUTDOWN_TIMEOUT_MS: '1000',
          },
        });
        const exit = await app.exited();
        const elapsed = Date.now() - started;
        expect(exit.code).to.equal(3);
        expect(elapsed).to.be.below(1000 + 1000 + 1500 /* process start */);
      } finally {
        await target.stop('SIGKILL');
      }
    });
  }
});

describe('a refusing collector does not delay exit (integration)', function () {
  this.timeout(60_000);
  const DROPPED_LINE = /^otel-agent: 1 spans dropped \(collector unreachable or queue full\)$/m;
  let target: RunningApp;
  let targetUrl: string;

  before(async () => {
    target = startApp(fixture('http-app.js'), { agent: 'none' });
    targetUrl = `http://127.0.0.1:${await target.port()}`;
  });
  after(async () => {
    await target.stop('SIGKILL');
  });

  async function timedRun(options: Parameters<typeof runApp>[1]) {
    const started = Date.now();
    const exit = await runApp(fixture('exit-app.js'), options);
    return { ...exit, ms: Date.now() - started };
  }

  for (const exporter of ['otlp', 'otlp-http'] as const) {
    // Default TRACING_SHUTDOWN_TIMEOUT_MS (5 s): a short job must not sit it out when nothing listens.
    it(`${exporter}, connection refused: a finished script exits about as fast as bare, and says what it dropped`, async () => {
      const port = await refusedPort();
      const env = { MODE: 'exit3', TARGET_URL: targetUrl };
      const bare = await timedRun({ agent: 'none', env });
      const traced = await timedRun({
        env: { ...env, TRACING_EXPORTER: exporter, TRACING_ENDPOINT: exporter === 'otlp' ? `http://127.0.0.1:${port}` : `http://127.0.0.1:${port}/v1/traces` },
      });
      expect({ code: traced.code, signal: traced.signal }, traced.stderr).to.deep.equal({ code: 3, signal: null });
      expect(traced.stderr).to.match(DROPPED_LINE);
      expect(traced.stderr, 'no flush timeout').not.to.include('TRACING_SHUTDOWN_TIMEOUT_MS');
      // Bare + the agent's start-up (loading the SDK and instrumentations, the worker's boot) + one
      // refused connection: ~0.3-0.45 s measured; the shutdown budget it used to wait is 5 s.
      expect(traced.ms, `bare ${bare.ms} ms`).to.be.below(bare.ms + 1500);
    });
  }

  it('otlp-http, a slow collector (answers after 1.5 s): the exit flush still waits for it within the budget', async () => {
    const receiver = await startOtlpHttpReceiver();
    try {
      receiver.setBehaviour({ slowMs: 1500 });
      const traced = await timedRun({
        env: { MODE: 'exit3', TARGET_URL: targetUrl, TRACING_EXPORTER: 'otlp-http', TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '60000' },
      });
      expect({ code: traced.code, signal: traced.signal }, traced.stderr).to.deep.equal({ code: 3, signal: null });
      expect(traced.stderr).not.to.match(/spans dropped/);
      expect(receiver.spans.filter((span) => span.kind === 'CLIENT').map((span) => span.attributes['url.full'])).to.deep.equal([`${targetUrl}/health`]);
      expect(traced.ms).to.be.within(1500, 5000 + 1500);
    } finally {
      await receiver.close();
    }
  });

  it('otlp-http, a collector answering 503 then 200: the exit flush retries and the span arrives', async () => {
    const receiver = await startOtlpHttpReceiver();
    let poll: NodeJS.Timeout | undefined;
    try {
      receiver.setBehaviour('unavailable');
      // Back to 'ok' after the first refusal; the exporter retries ~1 s later (upstream's schedule).
      poll = setInterval(() => {
        if (receiver.rejectedRequests > 0) receiver.setBehaviour('ok');
      }, 10);
      const traced = await timedRun({
        env: { MODE: 'exit3', TARGET_URL: targetUrl, TRACING_EXPORTER: 'otlp-http', TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '60000' },
      });
      expect({ code: traced.code, signal: traced.signal }, traced.stderr).to.deep.equal({ code: 3, signal: null });
      expect(receiver.rejectedRequests, 'the first attempt was refused').to.equal(1);
      expect(receiver.spans.filter((span) => span.kind === 'CLIENT')).to.have.length(1);
    } finally {
      clearInterval(poll);
      await receiver.close();
    }
  });
});
