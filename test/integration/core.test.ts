/**
 * The agent core end to end: real `node -r register` processes, real express/http/undici apps,
 * spans received on real wire protocols.
 */
import { expect } from 'chai';
import { startApp, getJson, runApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver, startOtlpHttpReceiver, startJaegerHttpReceiver, startJaegerUdpReceiver } from '../helpers/receivers';
import type { Receiver, ReceivedSpan } from '../helpers/receivers';

const FAST_EXPORT = { TRACING_SCHEDULE_DELAY_MS: '50', TRACING_LOG_LEVEL: 'warn' };

function serverSpan(spans: ReceivedSpan[], route: string): ReceivedSpan | undefined {
  return spans.find((span) => span.kind === 'SERVER' && span.attributes['http.route'] === route);
}

describe('agent core (integration)', function () {
  this.timeout(60_000);
  const apps: RunningApp[] = [];
  const receivers: Receiver[] = [];
  const track = <T extends RunningApp | Receiver>(thing: T): T => {
    if ('child' in thing) apps.push(thing);
    else receivers.push(thing);
    return thing;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop('SIGKILL')));
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  it('traces an express 5 app over OTLP gRPC with stable HTTP semantic conventions and resource attributes', async () => {
    const receiver = track(await startOtlpGrpcReceiver());
    const app = track(
      startApp(fixture('express5-app.js'), {
        env: {
          ...FAST_EXPORT,
          TRACING_SERVICE_NAME: 'checkout',
          TRACING_SERVICE_VERSION: '1.2.3',
          TRACING_ENVIRONMENT: 'test',
          TRACING_ENDPOINT: receiver.url,
        },
      }),
    );
    const port = await app.port();
    const response = await getJson(`http://127.0.0.1:${port}/users/42?x=1`);
    expect(response.status).to.equal(200);
    expect(response.body).to.deep.equal({ id: '42', name: 'Ada' });

    const spans = await receiver.waitForSpans((all) => serverSpan(all, '/users/:id') !== undefined);
    const server = serverSpan(spans, '/users/:id')!;
    expect(server.name).to.equal('GET /users/:id');
    expect(server.attributes).to.include({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'url.path': '/users/42',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
    });
    expect(server.parentSpanId).to.equal('');
    expect(server.resource).to.include({
      'service.name': 'checkout',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.name': 'opentelemetry',
      'process.runtime.name': 'nodejs',
    });
    expect(server.resource['host.name']).to.be.a('string');
    expect(server.resource['process.pid']).to.equal(app.child.pid);
    // express layers are children of the server span, in the same trace
    const expressSpans = spans.filter((span) => span.scope.name.includes('express'));
    expect(expressSpans.length).to.be.greaterThan(0);
    for (const span of expressSpans) expect(span.traceId).to.equal(server.traceId);
    expect(expressSpans.some((span) => span.parentSpanId === server.spanId)).to.equal(true);
  });

  it('traces an express 4 app over OTLP http/protobuf', async () => {
    const receiver = track(await startOtlpHttpReceiver());
    const app = track(
      startApp(fixture('express4/app.js'), {
        env: { ...FAST_EXPORT, TRACING_SERVICE_NAME: 'legacy', TRACING_EXPORTER: 'otlp-http', TRACING_ENDPOINT: receiver.url },
      }),
    );
    const port = await app.port();
    expect(app.stdout).to.match(/express@4\./);
    await getJson(`http://127.0.0.1:${port}/users/7`);
    const spans = await receiver.waitForSpans((all) => serverSpan(all, '/users/:id') !== undefined);
    const server = serverSpan(spans, '/users/:id')!;
    expect(server.name).to.equal('GET /users/:id');
    expect(server.resource['service.name']).to.equal('legacy');
    expect(spans.some((span) => span.scope.name.includes('express') && span.parentSpanId === server.spanId)).to.equal(true);
  });

  for (const transport of ['udp', 'http'] as const) {
    it(`exports to Jaeger over thrift ${transport}`, async () => {
      const receiver = track(transport === 'udp' ? await startJaegerUdpReceiver() : await startJaegerHttpReceiver());
      const env: Record<string, string> = { ...FAST_EXPORT, TRACING_SERVICE_NAME: 'jaeger-svc', TRACING_EXPORTER: 'jaeger' };
      if (transport === 'udp') {
        env.TRACING_JAEGER_AGENT_HOST = '127.0.0.1';
        env.TRACING_JAEGER_AGENT_PORT = String(receiver.port);
      } else {
        env.TRACING_ENDPOINT = receiver.url;
      }
      const app = track(startApp(fixture('http-app.js'), { env }));
      const port = await app.port();
      await getJson(`http://127.0.0.1:${port}/hello`);
      const [span] = await receiver.waitForSpans((all) => all.some((s) => s.kind === 'SERVER'));
      const server = receiver.spans.find((s) => s.kind === 'SERVER')!;
      expect(span).to.exist;
      expect(server.name).to.equal('GET');
      expect(server.attributes['http.response.status_code']).to.equal(200);
      expect(server.attributes['url.path']).to.equal('/hello');
      expect(server.resource['service.name']).to.equal('jaeger-svc');
    });
  }

  it('instruments undici, global fetch and http clients and propagates traceparent and baggage', async () => {
    const receiver = track(await startOtlpGrpcReceiver());
    const downstream = track(startApp(fixture('express5-app.js'), { agent: 'none' }));
    const downstreamPort = await downstream.port();
    const client = await runApp(fixture('client-app.js'), {
      env: { ...FAST_EXPORT, TRACING_SERVICE_NAME: 'client', TRACING_ENDPOINT: receiver.url, TARGET_URL: `http://127.0.0.1:${downstreamPort}` },
    });
    expect(client.code, client.stderr).to.equal(0);
    const received = JSON.parse(client.stdout.trim().split('\n').pop()!);
    const spans = await receiver.waitForSpans((all) => all.filter((s) => s.kind === 'CLIENT').length >= 3);
    const clientSpans = spans.filter((s) => s.kind === 'CLIENT');
    // each outgoing request carried its own client span's context
    for (const via of ['undici', 'fetch', 'http']) {
      const traceparent = received[via].traceparent as string;
      // 03: sampled, and (Trace Context Level 2) a random trace id: this process started the trace.
      expect(traceparent, via).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/);
      const [, traceId, spanId] = traceparent.split('-');
      const span = clientSpans.find((s) => s.spanId === spanId);
      expect(span, `${via} client span ${spanId}`).to.exist;
      expect(span!.traceId).to.equal(traceId);
      expect(span!.attributes['http.request.method']).to.equal('GET');
      expect(span!.attributes['http.response.status_code']).to.equal(200);
    }
    expect(clientSpans.map((s) => s.scope.name)).to.include.members(['@opentelemetry/instrumentation-undici', '@opentelemetry/instrumentation-http']);
  });

  it("links two instrumented services: B continues A's trace with A's client span as parent (fetch and http.request)", async () => {
    const receiver = track(await startOtlpGrpcReceiver());
    const serviceB = track(startApp(fixture('express4/app.js'), { env: { ...FAST_EXPORT, TRACING_SERVICE_NAME: 'b', TRACING_ENDPOINT: receiver.url } }));
    const serviceA = track(startApp(fixture('express5-app.js'), { env: { ...FAST_EXPORT, TRACING_SERVICE_NAME: 'a', TRACING_ENDPOINT: receiver.url } }));
    const [portA, portB] = await Promise.all([serviceA.port(), serviceB.port()]);
    const response = await getJson(`http://127.0.0.1:${portA}/chain?target=http://127.0.0.1:${portB}`, {
      baggage: 'tenant=acme',
    });
    expect(response.status).to.equal(200);
    expect(response.body.viaFetch.baggage).to.equal('tenant=acme');
    expect(response.body.viaHttp.baggage).to.equal('tenant=acme');

    const spans = await receiver.waitForSpans(
      (all) => all.filter((s) => s.resource['service.name'] === 'b' && s.kind === 'SERVER').length >= 2 && serverSpan(all, '/chain') !== undefined,
    );
    const rootA = serverSpan(spans, '/chain')!;
    const clientsA = spans.filter((s) => s.resource['service.name'] === 'a' && s.kind === 'CLIENT');
    const serversB = spans.filter((s) => s.resource['service.name'] === 'b' && s.kind === 'SERVER');
    expect(clientsA).to.have.length(2);
    expect(serversB).to.have.length(2);
    for (const serverB of serversB) {
      expect(serverB.traceId).to.equal(rootA.traceId);
      const parent = clientsA.find((c) => c.spanId === serverB.parentSpanId);
      expect(parent, 'B server span parent is one of A client spans').to.exist;
      expect(parent!.traceId).to.equal(rootA.traceId);
    }
    expect(new Set(serversB.map((s) => s.parentSpanId)).size).to.equal(2);
  });

  it('continues an incoming traceparent and starts a new trace for invalid ones', async () => {
    const receiver = track(await startOtlpGrpcReceiver());
    const app = track(startApp(fixture('express5-app.js'), { env: { ...FAST_EXPORT, TRACING_ENDPOINT: receiver.url } }));
    const port = await app.port();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await getJson(`http://127.0.0.1:${port}/users/1`, { traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'vendor=abc' });
    const invalid = [
      `00-${'0'.repeat(32)}-${parentId}-01`, // all-zero trace id
      `00-${traceId}-${'0'.repeat(16)}-01`, // all-zero span id
      `00-${traceId.toUpperCase()}-${parentId}-01`, // upper-case hex
      'garbage',
      `ff-${traceId}-${parentId}-01`, // forbidden version
    ];
    for (const [index, traceparent] of invalid.entries()) {
      await getJson(`http://127.0.0.1:${port}/users/invalid-${index}`, { traceparent });
    }
    const spans = await receiver.waitForSpans((all) => all.filter((s) => s.kind === 'SERVER').length >= 1 + invalid.length);
    const continued = spans.find((s) => s.kind === 'SERVER' && s.attributes['url.path'] === '/users/1')!;
    expect(continued.traceId).to.equal(traceId);
    expect(continued.parentSpanId).to.equal(parentId);
    expect(continued.traceState).to.equal('vendor=abc');
    for (let index = 0; index < invalid.length; index++) {
      const fresh = spans.find((s) => s.kind === 'SERVER' && s.attributes['url.path'] === `/users/invalid-${index}`)!;
      expect(fresh, invalid[index]).to.exist;
      expect(fresh.parentSpanId, invalid[index]).to.equal('');
      expect(fresh.traceId, invalid[index])
        .to.match(/^[0-9a-f]{32}$/)
        .and.not.equal(traceId)
        .and.not.equal('0'.repeat(32));
    }
  });

  it('TRACING_SAMPLE_RATE=0 exports no spans; 1 exports every request', async () => {
    const receiver = track(await startOtlpGrpcReceiver());
    for (const rate of ['0', '1']) {
      receiver.reset();
      const app = track(startApp(fixture('express5-app.js'), { env: { ...FAST_EXPORT, TRACING_SAMPLE_RATE: rate, TRACING_ENDPOINT: receiver.url } }));
      const port = await app.port();
      for (let i = 0; i < 10; i++) await getJson(`http://127.0.0.1:${port}/users/${i}`);
      const exit = await app.stop('SIGTERM'); // flushes before exiting
      expect(exit.code).to.equal(0);
      const servers = receiver.spans.filter((s) => s.kind === 'SERVER');
      expect(servers, `rate ${rate}`).to.have.length(rate === '0' ? 0 : 10);
    }
  });
});
