/**
 * The agent next to an app that sets up OpenTelemetry itself (NodeSDK, NodeTracerProvider.register())
 * and next to the app's worker threads, where `-r register` runs a second time.
 */
import { expect } from 'chai';
import { startApp, getJson } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';

const FAST_EXPORT = { TRACING_SCHEDULE_DELAY_MS: '50', TRACING_LOG_LEVEL: 'warn' };

function agentLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('otel-agent:'));
}

describe("coexistence with the app's own OpenTelemetry and worker threads (integration)", function () {
  this.timeout(60_000);
  const apps: RunningApp[] = [];
  const receivers: Receiver[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop('SIGKILL')));
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  it('the fixture app records its own spans with its own exporter when the agent is not loaded', async () => {
    for (const mode of ['node-sdk', 'provider']) {
      const app = startApp(fixture('coexist-app.js'), { agent: 'none', env: { COEXIST_MODE: mode } });
      apps.push(app);
      const port = await app.port();
      expect((await getJson(`http://127.0.0.1:${port}/work`)).status).to.equal(200);
      expect((await getJson(`http://127.0.0.1:${port}/app-spans`)).body, mode).to.deep.equal(['app-work']);
      expect(app.stderr, mode).to.equal('');
    }
  });

  for (const mode of ['node-sdk', 'provider'] as const) {
    const label = mode === 'node-sdk' ? 'starts its own NodeSDK' : 'calls NodeTracerProvider.register()';
    it(`an app that ${label}: one agent warning, no API duplicate-registration errors, the agent's pipeline wins`, async () => {
      const receiver = await startOtlpGrpcReceiver();
      receivers.push(receiver);
      const app = startApp(fixture('coexist-app.js'), {
        env: { ...FAST_EXPORT, COEXIST_MODE: mode, TRACING_SERVICE_NAME: 'coexist', TRACING_ENDPOINT: receiver.url },
      });
      apps.push(app);
      const port = await app.port();
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const parentId = 'b7ad6b7169203331';
      const work = await getJson(`http://127.0.0.1:${port}/work`, { traceparent: `00-${traceId}-${parentId}-01` });
      expect(work.status).to.equal(200);
      expect(work.body.traceId).to.equal(traceId);

      const spans = await receiver.waitForSpans((all) => all.some((s) => s.name === 'app-work') && all.some((s) => s.kind === 'SERVER'));
      const server = spans.find((s) => s.kind === 'SERVER')!;
      const appWork = spans.find((s) => s.name === 'app-work')!;
      // the agent's request span is exported, continuing the incoming trace
      expect(server.traceId).to.equal(traceId);
      expect(server.parentSpanId).to.equal(parentId);
      expect(server.resource['service.name']).to.equal('coexist');
      // the app's manual span went through the agent's provider, as a child of the request span
      expect(appWork.spanId).to.equal(work.body.spanId);
      expect(appWork.traceId).to.equal(traceId);
      expect(appWork.parentSpanId).to.equal(server.spanId);
      expect(appWork.scope.name).to.equal('coexist-app');
      // ... and not through the app's own exporter
      expect((await getJson(`http://127.0.0.1:${port}/app-spans`)).body).to.deep.equal([]);

      // the app set a console diag logger: it would print any API registration error
      expect(app.stderr).not.to.match(/duplicate registration|Error:/i);
      const lines = agentLines(app.stderr);
      expect(lines, app.stderr).to.have.length(1);
      expect(lines[0])
        .to.match(/registered its own OpenTelemetry tracer provider/)
        .and.match(/exported by the agent/);
    });
  }

  it('a worker thread of the app is skipped: no second agent, no spans from inside it, its http and fetch work', async () => {
    const receiver = await startOtlpGrpcReceiver();
    receivers.push(receiver);
    const app = startApp(fixture('coexist-worker-app.js'), { env: { ...FAST_EXPORT, TRACING_ENDPOINT: receiver.url } });
    apps.push(app);
    const port = await app.port();
    const run = await getJson(`http://127.0.0.1:${port}/run`);
    expect(run.status).to.equal(200);
    expect(run.body).to.deep.equal({
      exitCode: 0,
      report: {
        agentStarted: false, // register.ts returned early: no SDK in the worker
        spanRecording: false, // the worker's API has no tracer provider
        httpStatus: 200,
        httpTraceparent: null, // no client instrumentation in the worker
        fetchStatus: 200,
        fetchTraceparent: null,
      },
    });
    const exit = await app.stop('SIGTERM'); // flushes
    expect(exit.code).to.equal(0);
    const servers = receiver.spans.filter((s) => s.kind === 'SERVER');
    expect(servers.map((s) => s.attributes['url.path']).sort()).to.deep.equal(['/from-worker', '/from-worker', '/run']);
    // the main thread still traces the requests the worker made, as new traces: nothing crossed from the worker
    for (const span of servers.filter((s) => s.attributes['url.path'] === '/from-worker')) expect(span.parentSpanId).to.equal('');
    expect(receiver.spans.filter((s) => s.kind !== 'SERVER').map((s) => s.name)).to.deep.equal([]);
    expect(agentLines(app.stderr), app.stderr).to.deep.equal([]);
  });
});
