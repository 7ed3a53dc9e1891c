/**
 * Context under load: hundreds of concurrent requests, each with its own incoming traceparent, against
 * a handler that interleaves awaits, timers, streams and outgoing fetch/http.get calls. Every span must
 * land in its own request's trace under the right parent, and each JSON error body must carry its own
 * request's trace id.
 */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { Receiver, ReceivedSpan } from '../helpers/receivers';

const REQUESTS = 300;
const SPANS_PER_REQUEST = 5; // server, fetch client, http client, two downstream servers

interface Sent {
  i: number;
  traceId: string;
  parentId: string;
  status: number;
  body: any;
}

async function send(port: number, i: number): Promise<Sent> {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  const response = await fetch(`http://127.0.0.1:${port}/req/${i}`, {
    method: 'POST',
    headers: { traceparent: `00-${traceId}-${parentId}-01`, 'content-type': 'application/json' },
    body: JSON.stringify({ i }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // keep the text for the failure message
  }
  return { i, traceId, parentId, status: response.status, body };
}

describe('trace context under concurrency (integration)', function () {
  this.timeout(60_000);
  let app: RunningApp | undefined;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await app?.stop('SIGKILL');
    await receiver?.close();
  });

  it(`${REQUESTS} concurrent requests: every span in its own request's trace under the right parent; error bodies carry their own trace id`, async () => {
    receiver = await startOtlpGrpcReceiver();
    app = startApp(fixture('concurrency-app.js'), {
      env: {
        TRACING_ENDPOINT: receiver.url,
        TRACING_LOG_LEVEL: 'warn',
        TRACING_SCHEDULE_DELAY_MS: '50',
        TRACING_MAX_QUEUE_SIZE: '20000',
      },
    });
    const port = await app.port();
    const sent = await Promise.all(Array.from({ length: REQUESTS }, (_, i) => send(port, i)));

    // responses: the handler saw its own body; error bodies carry their own trace id
    for (const request of sent) {
      expect(request.status, JSON.stringify(request.body)).to.equal(request.i % 5 === 0 ? 500 : 200);
      expect(request.body.i).to.equal(request.i);
      expect(request.body.bodyI).to.equal(request.i);
      if (request.status === 500) expect(request.body.trace_id, `request ${request.i}`).to.equal(request.traceId);
      else expect(request.body).not.to.have.property('trace_id');
    }

    const spans = await receiver.waitForSpans(REQUESTS * SPANS_PER_REQUEST, 30_000);
    // give a late duplicate or stray span a moment to show up
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.spans).to.have.length(REQUESTS * SPANS_PER_REQUEST);
    expect(app.stderr).to.equal('');

    const byTrace = new Map<string, ReceivedSpan[]>();
    for (const span of spans) byTrace.set(span.traceId, [...(byTrace.get(span.traceId) ?? []), span]);
    expect(byTrace.size, 'one trace per request, no others').to.equal(REQUESTS);

    for (const request of sent) {
      const label = `request ${request.i}`;
      const trace = byTrace.get(request.traceId) ?? [];
      expect(trace, label).to.have.length(SPANS_PER_REQUEST);
      const byId = new Map(trace.map((span) => [span.spanId, span]));
      const isDescendantOf = (span: ReceivedSpan, ancestorId: string): boolean => {
        for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) {
          if (parent.spanId === ancestorId) return true;
        }
        return false;
      };

      const [server, ...otherServers] = trace.filter((s) => s.kind === 'SERVER' && s.attributes['url.path'] === `/req/${request.i}`);
      expect(otherServers, label).to.have.length(0);
      expect(server, label).to.exist;
      expect(server.parentSpanId, label).to.equal(request.parentId);
      expect(server.attributes['http.response.status_code'], label).to.equal(request.status);

      const clients = trace.filter((s) => s.kind === 'CLIENT');
      expect(clients.map((s) => s.scope.name).sort(), label).to.deep.equal(['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-undici']);
      for (const client of clients) {
        expect(client.attributes['url.query'] ?? client.attributes['url.full'], label).to.include(`i=${request.i}`);
        expect(isDescendantOf(client, server.spanId), `${label}: client span under its server span`).to.equal(true);
      }

      // the downstream server saw each client span's own context, and continued it
      const downstream = trace.filter((s) => s.kind === 'SERVER' && s.attributes['url.path'] === '/down');
      expect(downstream, label).to.have.length(2);
      expect(downstream.map((s) => s.parentSpanId).sort(), label).to.deep.equal(clients.map((s) => s.spanId).sort());
      const echoed = [request.body.viaFetch, request.body.viaHttp].map((traceparent: string) => traceparent.split('-'));
      for (const [, traceId, spanId] of echoed) {
        expect(traceId, label).to.equal(request.traceId);
        expect(
          clients.map((s) => s.spanId),
          label,
        ).to.include(spanId);
      }
      expect(echoed[0][2], `${label}: fetch and http.get carried different client spans`).not.to.equal(echoed[1][2]);
    }
  });
});
