/**
 * Graceful-shutdown libraries under the agent: for each one (real package, exact version, from
 * test/fixtures/shutdown) and for SIGTERM and SIGINT, an http server using it the way its README shows
 * is run bare and under the agent, sent one request, then the signal. Under the agent the process
 * must end exactly as bare (exit code, signal, stdout, stderr apart from `otel-agent:` lines), about
 * as fast (within SLACK_MS of bare, and under an absolute ceiling), and the request's SERVER span must
 * have reached a real OTLP/HTTP receiver before the process ended (the schedule delay is 60 s, so only
 * the agent's signal/exit flush can have sent it).
 */
import { expect } from 'chai';
import * as http from 'http';
import * as path from 'path';
import { startApp } from '../helpers/app-process';
import type { AppOptions, RunningApp } from '../helpers/app-process';
import { fixture, REGISTER } from '../helpers/paths';
import { startOtlpHttpReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type Signal = (typeof SIGNALS)[number];

/** Signal-to-exit under the agent may exceed bare by this much (the flush to a loopback receiver). */
const SLACK_MS = 200;
/** Absolute ceilings: bare apps here end in well under a second; a hang is a failure, not a wait. */
const BARE_CEILING_MS = 3000;
const AGENT_CEILING_MS = 3000;
/** After this long without an exit the app is killed (SIGKILL) and the case fails as a hang. */
const HANG_MS = 6000;
/**
 * Between the response and the signal, in both runs. The export worker boots in the background during
 * the app's first ~150-250 ms (measured here, 2 busy cores): a signal inside that window waits for the
 * boot, which is start-up cost, not shutdown behaviour (exit-paths.test.ts covers exits that early).
 * Signalled 0.6-1 s after the response, the agent's signal-to-exit was bare + 20-50 ms.
 */
const SETTLE_MS = 600;

interface LibraryCase {
  /** What the case is about (library and version, or the setup). */
  name: string;
  /** File in test/fixtures/shutdown. */
  app: string;
  /** How the agent is loaded: -r (default) or --import (ESM apps). */
  agent?: 'require' | 'import';
  /** A module (in test/fixtures/shutdown) preloaded with -r BEFORE the agent, in both runs. */
  preload?: string;
}

// One row per app; every row runs for SIGTERM and SIGINT, bare and under the agent.
const CASES: LibraryCase[] = [
  { name: 'signal-exit 3.0.7 onExit', app: 'signal-exit-v3.js' },
  { name: 'signal-exit 4.1.0 onExit', app: 'signal-exit-v4.js' },
  { name: 'signal-exit 4.1.0 onExit (ESM, agent via --import)', app: 'signal-exit-v4.mjs', agent: 'import' },
  { name: 'signal-exit 3.0.7 and 4.1.0 in one process', app: 'signal-exit-v3-v4.js' },
  { name: 'signal-exit 4.1.0 preloaded before the agent', app: 'plain-server.js', preload: 'signal-exit-preload.js' },
  { name: "signal-exit 4.1.0 with its listener moved before the agent's", app: 'signal-exit-v4-first.js' },
  { name: "signal-exit 4.1.0 onExit plus the app's own signal handler", app: 'signal-exit-own-handler.js' },
  { name: "the app's own process.on(signal) handler, exit code after cleanup", app: 'own-handler.js' },
  { name: "the app's own handler removing itself, the loop draining, a 'beforeExit' listener", app: 'own-handler-drain.js' },
  { name: 'a process.once(signal) handler preloaded before the agent', app: 'plain-server.js', preload: 'once-handler-preload.js' },
  { name: 'exit-hook 5.1.0 asyncExitHook (ESM only)', app: 'exit-hook.mjs' },
  { name: 'exit-hook 5.1.0 asyncExitHook (ESM only, agent via --import)', app: 'exit-hook.mjs', agent: 'import' },
  { name: 'async-exit-hook 2.0.1', app: 'async-exit-hook.js' },
  { name: '@godaddy/terminus 4.12.1 (re-raises the signal)', app: 'terminus.js' },
  { name: 'http-terminator 3.2.0', app: 'http-terminator.js' },
  { name: 'close-with-grace 2.5.0', app: 'close-with-grace.js' },
  { name: 'stoppable 1.1.0', app: 'stoppable.js' },
];

const FIXTURE_DIR = fixture('shutdown');
const REQUEST_PATH = '/shutdown-probe';

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From the signal being sent to the child's 'exit' event; Infinity if it had to be killed. */
  signalToExitMs: number;
  /** SERVER spans for REQUEST_PATH the receiver held when the child's 'exit' event arrived. */
  serverSpansAtExit: number;
}

/** One request on its own connection (no keep-alive socket left for the app's shutdown to wait on). */
function requestOnce(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: REQUEST_PATH, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

const running = new Set<RunningApp>();

async function runCase(testCase: LibraryCase, signal: Signal, traced: boolean, receiver: Receiver): Promise<Outcome> {
  const preload = testCase.preload ? ['-r', path.join(FIXTURE_DIR, testCase.preload)] : [];
  // A preload must come before the agent, so the agent is then loaded through nodeArgs.
  const options: AppOptions = testCase.preload
    ? { agent: 'none', nodeArgs: traced ? [...preload, '-r', REGISTER] : preload }
    : { agent: traced ? (testCase.agent ?? 'require') : 'none' };
  const app = startApp(path.join(FIXTURE_DIR, testCase.app), {
    ...options,
    cwd: FIXTURE_DIR,
    env: {
      TRACING_EXPORTER: 'otlp-http',
      TRACING_ENDPOINT: receiver.url,
      // Spans can only reach the receiver through the flush at signal/exit.
      TRACING_SCHEDULE_DELAY_MS: '60000',
    },
  });
  running.add(app);
  try {
    const port = await app.port();
    const response = await requestOnce(port);
    expect(response, 'the app answered before the signal').to.deep.equal({ status: 200, body: `hello ${REQUEST_PATH}\n` });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const exitedAt = new Promise<{ at: number; spans: number }>((resolve) =>
      app.child.once('exit', () =>
        resolve({
          at: Date.now(),
          spans: receiver.spans.filter((span) => span.kind === 'SERVER' && span.attributes['url.path'] === REQUEST_PATH).length,
        }),
      ),
    );
    const sentAt = Date.now();
    app.child.kill(signal);
    const hang = setTimeout(() => app.child.kill('SIGKILL'), HANG_MS);
    const exit = await app.exited();
    clearTimeout(hang);
    const { at, spans } = await exitedAt;
    return {
      code: exit.code,
      signal: exit.signal,
      stdout: app.stdout,
      stderr: app.stderr,
      signalToExitMs: exit.signal === 'SIGKILL' ? Infinity : at - sentAt,
      serverSpansAtExit: spans,
    };
  } finally {
    running.delete(app);
    await app.stop('SIGKILL');
  }
}

/** The port differs between runs; everything else the app prints must not. */
const comparableStdout = (stdout: string) => stdout.replace(/LISTENING \d+/g, 'LISTENING <port>');
/** The agent's own lines (e.g. a dropped-spans total) are its business; the app's stderr must not change. */
const comparableStderr = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => !line.startsWith('otel-agent:'))
    .join('\n');

const figures: string[] = [];

describe('graceful-shutdown libraries (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;

  before(async () => {
    receiver = await startOtlpHttpReceiver();
  });
  after(async () => {
    for (const app of running) await app.stop('SIGKILL');
    await receiver.close();
    if (process.env.SHUTDOWN_VERBOSE) console.log(figures.map((line) => `      ${line}`).join('\n'));
  });

  for (const testCase of CASES) {
    for (const signal of SIGNALS) {
      it(`${testCase.name}, ${signal}: ends as bare, as fast, with its SERVER span exported`, async () => {
        receiver.reset();
        const bare = await runCase(testCase, signal, false, receiver);
        receiver.reset();
        const traced = await runCase(testCase, signal, true, receiver);
        figures.push(`${testCase.app} ${signal}: bare ${bare.signalToExitMs} ms, agent ${traced.signalToExitMs} ms`);
        const context = `bare: ${JSON.stringify(bare)}\nagent: ${JSON.stringify(traced)}`;

        expect(bare.signalToExitMs, `bare app ended on its own\n${context}`).to.be.below(BARE_CEILING_MS);
        expect({ code: traced.code, signal: traced.signal }, context).to.deep.equal({ code: bare.code, signal: bare.signal });
        expect(comparableStdout(traced.stdout), context).to.equal(comparableStdout(bare.stdout));
        expect(comparableStderr(traced.stderr), context).to.equal(comparableStderr(bare.stderr));
        expect(traced.signalToExitMs, `signal to exit under the agent\n${context}`).to.be.below(Math.min(bare.signalToExitMs + SLACK_MS, AGENT_CEILING_MS));
        expect(traced.serverSpansAtExit, `SERVER span received before exit (received: ${receiver.spans.map((s) => s.name).join(', ')})`).to.equal(1);
      });
    }
  }
});
