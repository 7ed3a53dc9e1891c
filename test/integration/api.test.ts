/** The programmatic API (`require('@x/otel-agent')`): start(), getTraceId(), shutdown(). */
import { expect } from 'chai';
import * as path from 'path';
import { runApp } from '../helpers/app-process';
import { fixture, REPO_ROOT } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';

describe('programmatic API (integration)', function () {
  this.timeout(60_000);

  it('start() traces, getTraceId() returns the active trace id, shutdown() flushes', async () => {
    const receiver = await startOtlpGrpcReceiver();
    try {
      const result = await runApp(fixture('api-app.js'), {
        agent: 'none',
        // A long delay: only shutdown() can have delivered the spans.
        env: { AGENT_MODULE: path.join(REPO_ROOT, 'build', 'src', 'index.js'), TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '60000' },
      });
      expect(result.code, result.stderr).to.equal(0);
      const [line, done] = result.stdout.trim().split('\n');
      const ids = JSON.parse(line);
      expect(done).to.equal('SHUTDOWN-DONE');
      expect(ids.insideRequest).to.match(/^[0-9a-f]{32}$/);
      expect(ids.outsideRequest).to.equal(null);
      expect(ids.runsTheGlobalProvider).to.equal(true);
      const server = receiver.spans.find((span) => span.kind === 'SERVER');
      expect(server, 'server span delivered by shutdown()').to.exist;
      expect(server!.traceId).to.equal(ids.insideRequest);
    } finally {
      await receiver.close();
    }
  });

  it('with the preload too: start() returns the agent register started, shutdown() stops and flushes that one', async () => {
    // register runs the agent from build/agent-bundle.js, the app's require() from build/src/: one agent for both.
    const receiver = await startOtlpGrpcReceiver();
    try {
      const result = await runApp(fixture('api-app.js'), {
        env: { AGENT_MODULE: path.join(REPO_ROOT, 'build', 'src', 'index.js'), TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '60000' },
      });
      expect(result.code, result.stderr).to.equal(0);
      const [line, done] = result.stdout.trim().split('\n');
      const ids = JSON.parse(line);
      expect(done).to.equal('SHUTDOWN-DONE');
      expect(ids.insideRequest).to.match(/^[0-9a-f]{32}$/);
      expect(ids.runsTheGlobalProvider, 'start() returned the preloaded agent').to.equal(true);
      // One agent: one SERVER span (a second agent would record the request twice, or not at all).
      const servers = receiver.spans.filter((span) => span.kind === 'SERVER');
      expect(servers.map((span) => span.traceId)).to.deep.equal([ids.insideRequest]);
    } finally {
      await receiver.close();
    }
  });
});
