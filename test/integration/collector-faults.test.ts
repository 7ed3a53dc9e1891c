/**
 * Issue 4, collector faults: an instrumented express app under steady load while the collector is
 * refused, black-holed, slow, or failing then recovering. The app must not notice: every request
 * succeeds with the same status and body, p99 latency stays near the collector-up run, memory stays
 * bounded, the agent warns at most once per fault per minute, counts what it dropped and says so at
 * exit, recovers without a restart, and shuts down within its budget even with a dead collector.
 */
import { expect } from 'chai';
import { startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture, REGISTER } from '../helpers/paths';
import { startOtlpGrpcReceiver, startOtlpHttpReceiver } from '../helpers/receivers';
import type { ReceiverBehaviour } from '../helpers/receivers';
import { refusedPort } from '../helpers/refused-port';
import { EXPORT_WORKER_YOUNG_GENERATION_MB } from '../../src/sdk/worker-span-processor';

// autocannon ships no types; this is the part of its result we read.
interface LoadResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  latency: { p99: number };
  requests: { total: number };
}
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<LoadResult>;

const APP = fixture('faults-app.js');
const PATH = '/users/42';
const SHUTDOWN_TIMEOUT_MS = 2000;
const MIB = 1024 * 1024;
const DROPPED_LINE = /^otel-agent: (\d+) spans dropped \(collector unreachable or queue full\)$/m;

const WARM_UP_REQUESTS = 20_000;

/** Bounded: 10 connections for a few seconds (a few thousand requests on this machine), or `amount` requests. */
function load(port: number, bound: number | { amount: number }): Promise<LoadResult> {
  const limit = typeof bound === 'number' ? { duration: bound } : bound;
  return autocannon({ url: `http://127.0.0.1:${port}${PATH}`, connections: 10, ...limit });
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

async function rss(port: number): Promise<number> {
  return (JSON.parse((await get(port, '/__rss')).body) as { rss: number }).rss;
}

interface RunResult {
  load: LoadResult;
  body: { status: number; body: string };
  rssGrowth: number;
  shutdownMs: number;
  stderr: string;
  app: RunningApp;
}

interface RunOptions {
  agent: boolean;
  env?: Record<string, string>;
  /** Runs after the load, before shutdown (e.g. the collector recovers). */
  afterLoad?: (app: RunningApp, port: number) => Promise<void>;
}

async function runUnderLoad(options: RunOptions): Promise<RunResult> {
  const app = startApp(APP, {
    agent: options.agent ? 'require' : 'none',
    // The app's own young generation, pinned to Node 20's default (16 MiB semi-spaces). Without it,
    // Node 24's V8 grows the main thread's young generation from 8 to 128 MiB during the first
    // seconds of load, with or without the agent, and that growth lands in the measured window or not
    // depending on how fast the machine is. The agent's own worker pins its young generation itself,
    // which the last test checks without this flag.
    nodeArgs: ['--max-semi-space-size=16'],
    env: { TRACING_SCHEDULE_DELAY_MS: '500', TRACING_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), ...options.env },
  });
  try {
    const port = await app.port();
    // Warm-up under the same load: JIT, connection pools, the exporter's first connect attempts, and
    // the heaps growing to their working size. Heaps grow with what was allocated, not with time, so
    // the warm-up is a number of requests: measured with the collector up and refused, RSS plateaus
    // after ~20k requests (bare app 54 -> ~105 MiB, with the agent ~170 MiB); a time-based warm-up
    // measured the heaps still growing whenever the machine was busy (CI's Node 24 run: +53 MiB).
    await load(port, { amount: WARM_UP_REQUESTS });
    const rssBefore = await rss(port);
    const result = await load(port, 4);
    const body = await get(port, PATH);
    const rssGrowth = (await rss(port)) - rssBefore;
    if (options.afterLoad) await options.afterLoad(app, port);
    const started = Date.now();
    app.child.kill('SIGTERM');
    await app.exited();
    return { load: result, body, rssGrowth, shutdownMs: Date.now() - started, stderr: app.stderr, app };
  } finally {
    await app.stop('SIGKILL');
  }
}

/** The agent's own stderr lines, grouped by message with numbers blanked, minus the final dropped-spans total. */
function agentWarnings(stderr: string): Map<string, number> {
  const groups = new Map<string, number>();
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('otel-agent:') || DROPPED_LINE.test(line)) continue;
    const key = line.replace(/\d+/g, 'N').slice(0, 80);
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  return groups;
}

function droppedTotal(stderr: string): number {
  const match = DROPPED_LINE.exec(stderr);
  return match ? Number(match[1]) : 0;
}

const figures: string[] = [];

describe('collector faults (integration)', function () {
  this.timeout(60_000);
  let expectedBody: { status: number; body: string };
  let baselineP99: number;

  async function measureCollectorUp(): Promise<RunResult> {
    const receiver = await startOtlpGrpcReceiver();
    try {
      const up = await runUnderLoad({ agent: true, env: { TRACING_EXPORTER: 'otlp', TRACING_ENDPOINT: receiver.url } });
      expect(up.load.errors + up.load.timeouts + up.load.non2xx).to.equal(0);
      expect(receiver.spans.length, 'the collector-up run exported spans').to.be.greaterThan(0);
      baselineP99 = up.load.latency.p99;
      figures.push(`collector up: ${up.load.requests.total} requests, p99 ${baselineP99} ms, RSS +${(up.rssGrowth / MIB).toFixed(1)} MiB`);
      return up;
    } finally {
      await receiver.close();
    }
  }

  /**
   * 2x the collector-up p99, with an absolute floor of +20 ms: on a shared 2-core machine (app, export
   * worker, receiver and load generator all on it, plus other jobs) single-digit-ms p99s jitter by more
   * than 2x. If the bound is missed, the collector-up run is measured again now and the bound retried
   * once, so that a busy minute elsewhere on the machine is not blamed on the fault.
   */
  async function expectP99WithinBound(p99: number): Promise<void> {
    const bound = () => Math.max(2 * baselineP99, baselineP99 + 20);
    if (p99 <= bound()) return;
    await measureCollectorUp();
    expect(p99, `p99 vs collector-up ${baselineP99} ms (re-measured)`).to.be.at.most(bound());
  }

  before(async function () {
    this.timeout(60_000);
    const bare = startApp(APP, { agent: 'none' });
    try {
      expectedBody = await get(await bare.port(), PATH);
    } finally {
      await bare.stop('SIGKILL');
    }
    // Twice, keeping the lower p99: the first agent run in a session is often slowed by cold caches,
    // and a lax baseline would make the latency bound meaningless.
    await measureCollectorUp();
    const first = baselineP99;
    await measureCollectorUp();
    baselineP99 = Math.min(first, baselineP99);
  });

  after(() => {
    if (process.env.FAULTS_VERBOSE) console.log(figures.map((line) => `      ${line}`).join('\n'));
  });

  /** What every fault run must show, whatever the fault. */
  async function expectAppUnaffected(name: string, run: RunResult): Promise<void> {
    const { load: result } = run;
    figures.push(
      `${name}: ${result.requests.total} requests, p99 ${result.latency.p99} ms (x${(result.latency.p99 / Math.max(baselineP99, 1)).toFixed(2)}), ` +
        `RSS +${(run.rssGrowth / MIB).toFixed(1)} MiB, shutdown ${run.shutdownMs} ms, dropped ${droppedTotal(run.stderr)}, ` +
        `warnings ${JSON.stringify([...agentWarnings(run.stderr)])}`,
    );
    expect(result.requests.total, 'load was applied').to.be.greaterThan(1000);
    expect({ errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx }).to.deep.equal({ errors: 0, timeouts: 0, non2xx: 0 });
    expect(run.body).to.deep.equal(expectedBody);
    expect(run.rssGrowth, 'RSS growth over the run').to.be.below(50 * MIB);
    // At most one warning per fault per minute: a couple of lines per distinct message, a few messages.
    const warnings = agentWarnings(run.stderr);
    for (const [message, count] of warnings) expect(count, message).to.be.at.most(2);
    expect([...warnings.keys()], run.stderr).to.have.length.at.most(4);
    await expectP99WithinBound(result.latency.p99);
  }

  function expectDroppedReported(run: RunResult): void {
    expect(droppedTotal(run.stderr), run.stderr).to.be.greaterThan(0);
    expect(run.stderr.match(new RegExp(DROPPED_LINE.source, 'gm')), 'one total line').to.have.length(1);
  }

  function expectShutdownInBudget(run: RunResult): void {
    expect(run.shutdownMs, 'SIGTERM to exit').to.be.below(SHUTDOWN_TIMEOUT_MS + 1000);
  }

  it('refused (nothing listening, gRPC): app unaffected, drops counted, shutdown within budget', async () => {
    const run = await runUnderLoad({ agent: true, env: { TRACING_EXPORTER: 'otlp', TRACING_ENDPOINT: `http://127.0.0.1:${await refusedPort()}` } });
    await expectAppUnaffected('refused otlp', run);
    expectDroppedReported(run);
    expectShutdownInBudget(run);
  });

  it('refused (nothing listening, OTLP/HTTP): app unaffected, drops counted, shutdown within budget', async () => {
    const port = await refusedPort();
    const run = await runUnderLoad({ agent: true, env: { TRACING_EXPORTER: 'otlp-http', TRACING_ENDPOINT: `http://127.0.0.1:${port}/v1/traces` } });
    await expectAppUnaffected('refused otlp-http', run);
    expectDroppedReported(run);
    expectShutdownInBudget(run);
  });

  for (const exporter of ['otlp', 'otlp-http'] as const) {
    const startReceiver = exporter === 'otlp' ? startOtlpGrpcReceiver : startOtlpHttpReceiver;

    it(`black-holed (${exporter}: accepts, never answers): app unaffected, drops counted, shutdown within budget`, async () => {
      const receiver = await startReceiver();
      try {
        receiver.setBehaviour('hang');
        // Default export timeout (30 s): the exporter stays stuck for the whole run and the queue fills.
        const run = await runUnderLoad({ agent: true, env: { TRACING_EXPORTER: exporter, TRACING_ENDPOINT: receiver.url } });
        await expectAppUnaffected(`black-holed ${exporter}`, run);
        expectDroppedReported(run);
        expectShutdownInBudget(run);
      } finally {
        await receiver.close();
      }
    });
  }

  it('slow (gRPC answers after 3 s, TRACING_EXPORT_TIMEOUT_MS=1000): app unaffected, drops counted', async () => {
    const receiver = await startOtlpGrpcReceiver();
    try {
      receiver.setBehaviour({ slowMs: 3000 } satisfies ReceiverBehaviour);
      const run = await runUnderLoad({
        agent: true,
        env: { TRACING_EXPORTER: 'otlp', TRACING_ENDPOINT: receiver.url, TRACING_EXPORT_TIMEOUT_MS: '1000' },
      });
      await expectAppUnaffected('slow otlp', run);
      expectDroppedReported(run);
      expectShutdownInBudget(run);
    } finally {
      await receiver.close();
    }
  });

  for (const exporter of ['otlp', 'otlp-http'] as const) {
    const startReceiver = exporter === 'otlp' ? startOtlpGrpcReceiver : startOtlpHttpReceiver;

    it(`failing (${exporter} UNAVAILABLE/503) then recovering: app unaffected, spans flow again without a restart`, async () => {
      const receiver = await startReceiver();
      try {
        receiver.setBehaviour('unavailable');
        const run = await runUnderLoad({
          agent: true,
          env: { TRACING_EXPORTER: exporter, TRACING_ENDPOINT: receiver.url, TRACING_EXPORT_TIMEOUT_MS: '1000' },
          afterLoad: async (_app, port) => {
            expect(receiver.rejectedRequests, 'exports were refused while failing').to.be.greaterThan(0);
            receiver.setBehaviour('ok');
            receiver.reset();
            // The worker's queue is still full of the load's backlog when the collector recovers, so a
            // single request made now may be dropped (queue full), as it should be. Keep making
            // requests until one made after the recovery arrives: that is "spans flow again".
            const arrived = receiver.waitForSpans(
              (spans) => spans.some((span) => span.kind === 'SERVER' && span.attributes['url.path'] === '/users/after-recovery'),
              15_000,
            );
            let done = false;
            void arrived.then(
              () => (done = true),
              () => (done = true),
            );
            while (!done) {
              expect((await get(port, '/users/after-recovery')).status).to.equal(200);
              await new Promise((resolve) => setTimeout(resolve, 250));
            }
            await arrived;
          },
        });
        await expectAppUnaffected(`failing then ok ${exporter}`, run);
        expectDroppedReported(run);
      } finally {
        await receiver.close();
      }
    });
  }

  it('the export worker runs with its pinned young generation on every Node version', async function () {
    // The spy must come before the agent to see the worker it creates; no semi-space flag here, so
    // the worker's young generation is whatever the agent asks for.
    const app = startApp(APP, {
      agent: 'none',
      nodeArgs: ['-r', fixture('worker-spy.js'), '-r', REGISTER],
      env: {
        TRACING_EXPORTER: 'otlp',
        TRACING_ENDPOINT: `http://127.0.0.1:${await refusedPort()}`,
        TRACING_SCHEDULE_DELAY_MS: '500',
        REFERENCE_YOUNG_GENERATION_MB: String(EXPORT_WORKER_YOUNG_GENERATION_MB),
      },
    });
    try {
      const port = await app.port();
      await get(port, PATH); // a hand-off: the export worker is running
      const response = await get(port, '/__worker-heap-limits');
      expect(response.status, response.body).to.equal(200);
      const limits = JSON.parse(response.body) as {
        workers: (number | null)[];
        defaultYoungGeneration: number | null;
        pinnedYoungGeneration: number | null;
      };
      expect(limits.workers, 'the agent started one worker').to.have.length(1);
      // worker.getHeapStatistics() arrived in Node 22.16; and where V8's default young generation is
      // already the pinned size, there is nothing to tell apart.
      if (limits.workers[0] === null || limits.defaultYoungGeneration === limits.pinnedYoungGeneration) this.skip();
      // V8's heap limit is the old generation's plus the young generation's maximum, so it tells which
      // young generation the worker got (Node 24.21: 4288 MiB with V8's default, 4144 MiB pinned to 48).
      // The total heap under a slow collector was no reliable witness: 89-165 MiB unpinned, but also
      // 58-102 MiB pinned, depending on how much old space the queued spans took.
      expect(limits.workers[0], 'export worker heap_size_limit').to.equal(limits.pinnedYoungGeneration);
    } finally {
      await app.stop('SIGKILL');
    }
  });
});
