/** The programmatic API (`require('@x/otel-agent')`): start(), getTraceId(), shutdown(). */
import { expect } from 'chai';
import * as path from 'path';
import { runApp } from '../helpers/app-process';
import { fixture, REPO_ROOT } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { ReceivedSpan } from '../helpers/receivers';

interface ApiAppRun {
  ids: { insideRequest: string; outsideRequest: string | null; runsTheGlobalProvider: boolean };
  serverSpans: ReceivedSpan[];
}

/**
 * Runs test/fixtures/api-app.js (start(), a request, shutdown()) against a receiver, with a long
 * schedule delay so that only shutdown() can have delivered the spans. `preload`: `-r register` too.
 */
async function runApiApp(preload: boolean): Promise<ApiAppRun> {
  const receiver = await startOtlpGrpcReceiver();
  try {
    const result = await runApp(fixture('api-app.js'), {
      ...(preload ? {} : { agent: 'none' as const }),
      env: { AGENT_MODULE: path.join(REPO_ROOT, 'build', 'src', 'index.js'), TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '60000' },
    });
    expect(result.code, result.stderr).to.equal(0);
    const [line, done] = result.stdout.trim().split('\n');
    expect(done).to.equal('SHUTDOWN-DONE');
    return { ids: JSON.parse(line), serverSpans: receiver.spans.filter((span) => span.kind === 'SERVER') };
  } finally {
    await receiver.close();
  }
}

describe('programmatic API (integration)', function () {
  this.timeout(60_000);

  it('start() traces, getTraceId() returns the active trace id, shutdown() flushes', async () => {
    const { ids, serverSpans } = await runApiApp(false);
    expect(ids.insideRequest).to.match(/^[0-9a-f]{32}$/);
    expect(ids.outsideRequest).to.equal(null);
    expect(ids.runsTheGlobalProvider).to.equal(true);
    expect(
      serverSpans.map((span) => span.traceId),
      'server span delivered by shutdown()',
    ).to.deep.equal([ids.insideRequest]);
  });

  it('with the preload too: start() returns the agent register started, shutdown() stops and flushes that one', async () => {
    // register runs the agent from build/agent-bundle.js, the app's require() from build/src/: one agent for both.
    const { ids, serverSpans } = await runApiApp(true);
    expect(ids.insideRequest).to.match(/^[0-9a-f]{32}$/);
    expect(ids.runsTheGlobalProvider, 'start() returned the preloaded agent').to.equal(true);
    // One agent: one SERVER span (a second agent would record the request twice, or not at all).
    expect(serverSpans.map((span) => span.traceId)).to.deep.equal([ids.insideRequest]);
  });
});
