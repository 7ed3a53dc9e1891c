/**
 * Standard OpenTelemetry settings with the specification's meaning, in real processes: every
 * propagator OTEL_PROPAGATORS names (extract and inject), span limits, upstream's OTLP default
 * protocol for a configuration made only of OTEL_* variables, and unsupported variables named.
 */
import { expect } from 'chai';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startRecordingPeer } from '../helpers/recording-peer';
import type { RecordingPeer } from '../helpers/recording-peer';
import { startOtlpGrpcReceiver, startOtlpHttpReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

/** For each propagator: the headers of an incoming sampled request, and how to read the trace id back out of an outgoing one. */
const FORMATS: Record<string, { incoming: Record<string, string>; outgoingTraceId: (headers: http.IncomingHttpHeaders) => string | undefined }> = {
  tracecontext: {
    incoming: { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` },
    outgoingTraceId: (h) => /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(String(h.traceparent))?.[1],
  },
  b3: {
    incoming: { b3: `${TRACE_ID}-${SPAN_ID}-1` },
    outgoingTraceId: (h) => /^([0-9a-f]{32})-[0-9a-f]{16}-1$/.exec(String(h.b3))?.[1],
  },
  b3multi: {
    incoming: { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': SPAN_ID, 'x-b3-sampled': '1' },
    outgoingTraceId: (h) => (h['x-b3-sampled'] === '1' && /^[0-9a-f]{16}$/.test(String(h['x-b3-spanid'])) ? String(h['x-b3-traceid']) : undefined),
  },
  jaeger: {
    incoming: { 'uber-trace-id': `${TRACE_ID}:${SPAN_ID}:0:1` },
    outgoingTraceId: (h) => /^([0-9a-f]{32}):[0-9a-f]{16}:0:0?1$/.exec(decodeURIComponent(String(h['uber-trace-id'])))?.[1],
  },
  xray: {
    incoming: { 'x-amzn-trace-id': `Root=1-${TRACE_ID.slice(0, 8)}-${TRACE_ID.slice(8)};Parent=${SPAN_ID};Sampled=1` },
    outgoingTraceId: (h) => {
      const match = /Root=1-([0-9a-f]{8})-([0-9a-f]{24});Parent=[0-9a-f]{16};Sampled=1/.exec(String(h['x-amzn-trace-id']));
      return match ? match[1] + match[2] : undefined;
    },
  },
  ottrace: {
    incoming: { 'ot-tracer-traceid': TRACE_ID, 'ot-tracer-spanid': SPAN_ID, 'ot-tracer-sampled': 'true' },
    // OT's format carries 64-bit trace ids: the lower half goes out (upstream's OTTracePropagator).
    outgoingTraceId: (h) => (h['ot-tracer-sampled'] === 'true' && String(h['ot-tracer-traceid']) === TRACE_ID.slice(16) ? TRACE_ID : undefined),
  },
};

describe('OpenTelemetry conventions (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  let peer: RecordingPeer;
  const apps: RunningApp[] = [];

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
    peer = await startRecordingPeer({ 'x-peer': 'yes' });
  });
  after(async () => {
    for (const app of apps) app.child.kill('SIGKILL');
    peer.close();
    await receiver.close();
  });

  // Each test stops its app (SIGTERM flushes), so no late span reaches the next test's receiver.
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop();
  });

  function start(env: Record<string, string | undefined>): RunningApp {
    const app = startApp(fixture('propagation-app.js'), { env: { DOWNSTREAM_URL: peer.url, TRACING_SCHEDULE_DELAY_MS: '50', ...env } });
    apps.push(app);
    return app;
  }

  for (const [name, format] of Object.entries(FORMATS)) {
    it(`OTEL_PROPAGATORS=${name}: joins the incoming trace and propagates it downstream in that format`, async () => {
      receiver.reset();
      const app = start({ OTEL_PROPAGATORS: name, TRACING_ENDPOINT: receiver.url });
      const response = await fetch(`http://127.0.0.1:${await app.port()}/work`, { headers: format.incoming });
      expect(response.status).to.equal(200);
      expect(format.outgoingTraceId(peer.lastHeaders()), JSON.stringify(peer.lastHeaders())).to.equal(TRACE_ID);
      if (name !== 'tracecontext') expect(peer.lastHeaders().traceparent, 'only the named format').to.equal(undefined);
      const spans = await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER'));
      const server = spans.find((span) => span.kind === 'SERVER')!;
      expect({ traceId: server.traceId, parent: server.parentSpanId }).to.deep.equal({ traceId: TRACE_ID, parent: SPAN_ID });
      expect(app.stderr).to.equal('');
    });
  }

  it('OTEL_PROPAGATORS=none: nothing is extracted or injected; the service still traces', async () => {
    receiver.reset();
    const app = start({ OTEL_PROPAGATORS: 'none', TRACING_ENDPOINT: receiver.url });
    await fetch(`http://127.0.0.1:${await app.port()}/work`, { headers: FORMATS.tracecontext.incoming });
    expect(peer.lastHeaders().traceparent).to.equal(undefined);
    const spans = await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER'));
    expect(spans.find((span) => span.kind === 'SERVER')!.traceId).to.not.equal(TRACE_ID);
  });

  it('OTEL_INSTRUMENTATION_HTTP_*_CAPTURE_*_HEADERS record the named headers, values masked like every attribute', async () => {
    receiver.reset();
    const app = start({
      TRACING_ENDPOINT: receiver.url,
      OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_REQUEST_HEADERS: 'X-Request-Id,Authorization',
      OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_RESPONSE_HEADERS: 'x-long',
      OTEL_INSTRUMENTATION_HTTP_CLIENT_CAPTURE_RESPONSE_HEADERS: 'x-peer',
    });
    await fetch(`http://127.0.0.1:${await app.port()}/work`, { headers: { 'x-request-id': 'req-42', authorization: 'Bearer s3cr3t-t0ken-value' } });
    const spans = await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER') && all.some((span) => span.kind === 'CLIENT'));
    const server = spans.find((span) => span.kind === 'SERVER')!;
    const client = spans.find((span) => span.kind === 'CLIENT')!;
    expect(server.attributes['http.request.header.x-request-id']).to.deep.equal(['req-42']);
    expect(server.attributes['http.response.header.x-long']).to.deep.equal(['y']);
    expect(client.attributes['http.response.header.x-peer']).to.deep.equal(['yes']);
    expect(JSON.stringify(server.attributes['http.request.header.authorization'])).to.not.include('s3cr3t');
    expect(JSON.stringify(spans.map((span) => span.attributes))).to.not.include('s3cr3t');
  });

  it('resource: service.instance.id, os and process attributes by default; OTEL_NODE_RESOURCE_DETECTORS picks', async () => {
    const resourceOf = async (env: Record<string, string>) => {
      receiver.reset();
      const app = start({ TRACING_ENDPOINT: receiver.url, OTEL_RESOURCE_ATTRIBUTES: 'team=core', ...env });
      await fetch(`http://127.0.0.1:${await app.port()}/work`);
      const spans = await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER'));
      await app.stop();
      return spans.find((span) => span.kind === 'SERVER')!.resource;
    };
    const byDefault = await resourceOf({});
    expect(byDefault['service.instance.id']).to.match(/^[0-9a-f-]{36}$/);
    expect(byDefault).to.include({ 'os.type': 'linux', 'process.runtime.name': 'nodejs', team: 'core' });
    expect(byDefault['host.name']).to.be.a('string');
    const picked = await resourceOf({ OTEL_NODE_RESOURCE_DETECTORS: 'host' });
    expect(picked['host.name']).to.be.a('string');
    for (const key of ['service.instance.id', 'os.type', 'process.pid', 'team']) expect(picked, key).to.not.have.property(key);
    expect(picked['service.name']).to.be.a('string');
  });

  it('OTEL_TRACES_EXPORTER=zipkin with OTEL_EXPORTER_ZIPKIN_ENDPOINT: Zipkin JSON v2 spans arrive', async () => {
    const received: Array<{ traceId: string; name: string; kind: string; localEndpoint: { serviceName: string } }> = [];
    const zipkin = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/api/v2/spans') received.push(...JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => zipkin.listen(0, '127.0.0.1', resolve));
    try {
      const app = start({
        OTEL_TRACES_EXPORTER: 'zipkin',
        OTEL_EXPORTER_ZIPKIN_ENDPOINT: `http://127.0.0.1:${(zipkin.address() as AddressInfo).port}/api/v2/spans`,
        OTEL_SERVICE_NAME: 'zipped',
      });
      await fetch(`http://127.0.0.1:${await app.port()}/work`, { headers: FORMATS.tracecontext.incoming });
      for (let i = 0; i < 100 && !received.some((span) => span.kind === 'SERVER'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const server = received.find((span) => span.kind === 'SERVER');
      expect(server, JSON.stringify(received)).to.not.equal(undefined);
      expect(server!.traceId).to.equal(TRACE_ID);
      expect(server!.localEndpoint.serviceName).to.equal('zipped');
      expect(app.stderr).to.equal('');
    } finally {
      zipkin.close();
    }
  });

  it('span limits: OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT truncates, OTEL_ATTRIBUTE_COUNT_LIMIT caps', async () => {
    receiver.reset();
    const app = start({ TRACING_ENDPOINT: receiver.url, OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '8', OTEL_ATTRIBUTE_COUNT_LIMIT: '4' });
    await fetch(`http://127.0.0.1:${await app.port()}/work`, { headers: { 'user-agent': 'a-rather-long-user-agent/1.0' } });
    const spans = await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER'));
    const server = spans.find((span) => span.kind === 'SERVER')!;
    expect(Object.keys(server.attributes).length).to.be.at.most(4);
    for (const value of Object.values(server.attributes)) if (typeof value === 'string') expect(value.length, value).to.be.at.most(8);
  });

  it("only OTEL_* variables: OTEL_EXPORTER_OTLP_ENDPOINT gets upstream's default protocol, http/protobuf", async () => {
    const httpReceiver = await startOtlpHttpReceiver();
    try {
      const base = httpReceiver.url.replace(/\/v1\/traces$/, '');
      const app = start({ OTEL_EXPORTER_OTLP_ENDPOINT: base, OTEL_SERVICE_NAME: 'otel only' });
      await fetch(`http://127.0.0.1:${await app.port()}/work`);
      const spans = await httpReceiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER'));
      expect(spans.find((span) => span.kind === 'SERVER')!.resource['service.name']).to.equal('otel only');
      expect(app.stderr).to.equal('');
    } finally {
      await httpReceiver.close();
    }
  });

  it('an OTEL_* variable upstream honours and the agent does not is named on stderr; OTEL_SDK_DISABLED=1 does not disable', async () => {
    receiver.reset();
    const app = start({
      TRACING_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_INSECURE: 'true',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_SERVICE_NAMES: 'typo',
      OTEL_SDK_DISABLED: '1',
    });
    await fetch(`http://127.0.0.1:${await app.port()}/work`);
    await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER'));
    const lines = app.stderr.trim().split('\n').sort();
    expect(lines).to.deep.equal([
      'otel-agent: OTEL_EXPORTER_OTLP_INSECURE="true" is not supported by the agent (the endpoint\'s scheme decides: http:// is plaintext, https:// is TLS); ignored',
      'otel-agent: OTEL_LOGS_EXPORTER="otlp" is not supported by the agent (the agent exports traces only); ignored',
      'otel-agent: OTEL_SDK_DISABLED="1" is neither true nor false (only true disables); tracing stays on',
      'otel-agent: OTEL_SERVICE_NAMES="typo" is an unknown variable (did you mean OTEL_SERVICE_NAME?); ignored',
    ]);
  });
});
