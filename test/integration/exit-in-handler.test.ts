/**
 * `process.exit(n)` inside a request handler: the exit code is the app's, and that request's SERVER
 * span is exported by the exit flush (nothing else ends it: its response never closes).
 */
import { expect } from 'chai';
import { startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';

const CASES = [
  { mode: 'exit-after-end', code: 3, status: 200 },
  { mode: 'exit-before-response', code: 4, status: undefined },
  { mode: 'exit-later', code: 5, status: 500 },
];

describe('process.exit() inside a request handler (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  const apps: RunningApp[] = [];

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
  });
  after(async () => {
    for (const app of apps) app.child.kill('SIGKILL');
    await receiver.close();
  });

  async function run(mode: string, agent: boolean) {
    const app = startApp(fixture('exit-in-handler-app.js'), {
      agent: agent ? 'require' : 'none',
      // A long schedule delay: the span can only arrive through the exit-time flush.
      env: { MODE: mode, TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '60000' },
    });
    apps.push(app);
    const port = await app.port();
    await fetch(`http://127.0.0.1:${port}/work`)
      .then((response) => response.text())
      .catch(() => undefined);
    const exit = await app.exited();
    return { ...exit, stdout: app.stdout.replace(/LISTENING \d+/, ''), stderr: app.stderr };
  }

  it('a queue deeper than 30 batches is flushed whole at exit to a slow collector (no "concurrent export limit" loss)', async () => {
    receiver.reset();
    receiver.setBehaviour({ slowMs: 300 });
    try {
      const app = startApp(fixture('many-spans-app.js'), {
        env: {
          SPANS: '1000',
          TRACING_ENDPOINT: receiver.url,
          TRACING_BATCH_SIZE: '10',
          TRACING_MAX_QUEUE_SIZE: '5000',
          TRACING_SCHEDULE_DELAY_MS: '60000',
          TRACING_SHUTDOWN_TIMEOUT_MS: '20000',
        },
      });
      apps.push(app);
      const exit = await app.exited();
      expect(exit.code, app.stderr).to.equal(0);
      expect(app.stderr, 'no spans dropped').to.equal('');
      expect(receiver.spans.filter((span) => span.name.startsWith('span ')).length).to.equal(1000);
    } finally {
      receiver.setBehaviour('ok');
    }
  });

  /**
   * 100 spans, exported by the schedule (50 ms) to a collector that answers 3 s later; the process
   * exits 500 ms after ending them, with that export still in flight and nothing left queued.
   */
  async function exitDuringExport(env: Record<string, string> = {}) {
    receiver.reset();
    receiver.setBehaviour({ slowMs: 3000 });
    try {
      const app = startApp(fixture('many-spans-app.js'), {
        env: { SPANS: '100', EXIT_AFTER_MS: '500', TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '50', ...env },
      });
      apps.push(app);
      await app.waitForOutput('ENDED 100');
      const ended = Date.now();
      const exit = await app.exited();
      return { ...exit, msAfterEnded: Date.now() - ended, stderr: app.stderr };
    } finally {
      receiver.setBehaviour('ok');
    }
  }

  it('an export already in flight when the process exits is awaited (BatchSpanProcessor.forceFlush alone does not)', async () => {
    const exit = await exitDuringExport();
    expect({ code: exit.code, signal: exit.signal }, exit.stderr).to.deep.equal({ code: 0, signal: null });
    expect(exit.stderr, 'no spans dropped').to.equal('');
    expect(receiver.spans.filter((span) => span.name.startsWith('span ')).length).to.equal(100);
    // The answer comes >= 3 s after the export began (> 50 ms after ENDED); without waiting, the exit is at ~500 ms.
    expect(exit.msAfterEnded).to.be.at.least(2500);
  });

  it('an export in flight past TRACING_SHUTDOWN_TIMEOUT_MS is counted as dropped at exit, not lost silently', async () => {
    const exit = await exitDuringExport({ TRACING_SHUTDOWN_TIMEOUT_MS: '300' });
    expect({ code: exit.code, signal: exit.signal }, exit.stderr).to.deep.equal({ code: 0, signal: null });
    expect(exit.stderr).to.match(/flushing spans at exit took longer than TRACING_SHUTDOWN_TIMEOUT_MS=300/);
    expect(exit.stderr).to.match(/\b100 spans dropped\b/);
  });

  for (const { mode, code, status } of CASES) {
    it(`${mode}: exit code ${code} as without the agent, and the request's SERVER span arrives`, async () => {
      receiver.reset();
      const bare = await run(mode, false);
      const traced = await run(mode, true);
      expect(bare.code).to.equal(code);
      expect({ code: traced.code, signal: traced.signal, stdout: traced.stdout }).to.deep.equal({ code: bare.code, signal: bare.signal, stdout: bare.stdout });
      expect(traced.stderr).to.equal('');
      const spans = await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER'), 10_000);
      const server = spans.find((span) => span.kind === 'SERVER')!;
      expect(server.attributes['url.path']).to.equal('/work');
      expect(server.attributes['http.response.status_code']).to.equal(status);
      expect(server.status.code).to.equal(status !== undefined && status >= 500 ? 'ERROR' : 'UNSET');
    });
  }
});
