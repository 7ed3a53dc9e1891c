/**
 * Our express instrumentation against upstream's @opentelemetry/instrumentation-express, on the same
 * express 4 and express 5 apps (test/fixtures/lib/express-differential-routes.js):
 * - TRACING_EXPRESS_MIDDLEWARE_SPANS=all gives upstream's span set: names, kinds, parents, attributes,
 *   status, events, and the same SERVER span name and http.route (the instrumentation scope differs);
 * - none gives no layer spans and the same SERVER spans;
 * - auto (the default) exports only layers that err, are slow or have a child, never a child whose
 *   parent was dropped, and follows the request's sampling decision (keep-by-outcome).
 * Upstream runs as its users get it: the agent with `-express` plus a preload registering upstream's
 * ExpressInstrumentation on the agent's provider, so shipped code has no switch for it.
 */
import { expect } from 'chai';
import { startApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { AttrValue, ReceivedSpan, Receiver } from '../helpers/receivers';

const UPSTREAM_PRELOAD = fixture('lib/upstream-express-preload.js');
const OURS = '@x/otel-agent/express';
const UPSTREAM = '@opentelemetry/instrumentation-express';

const APPS = [
  { major: 4, script: fixture('express4/differential-app.js') },
  { major: 5, script: fixture('express-differential-app.js') },
];

const CORPUS = [
  'GET /',
  'GET /users/42',
  'GET /users/42?tab=profile&page=2',
  'POST /users/42',
  'GET /mounted/x',
  'GET /array-one',
  'GET /array-two/7',
  'GET /regexp/123',
  'GET /files/a/b/c.txt',
  'GET /optional',
  'GET /optional/value',
  'GET /api/items/9',
  'GET /api/deep/leafy',
  'GET /api/fail',
  'GET /api/nope',
  'GET /sub/hello',
  'GET /sub/missing',
  'GET /throw',
  'GET /next-error',
  'GET /not-found-error',
  'GET /next-route',
  'GET /failing-mw/x',
  'GET /slow/x',
  'GET /child/x',
  'GET /handler-child',
  'GET /nope',
  'DELETE /users/1',
  'GET /rejects',
];

interface Run {
  spans: ReceivedSpan[];
}

async function send(port: number, line: string): Promise<void> {
  const [method, target] = line.split(' ');
  const response = await fetch(`http://127.0.0.1:${port}${target}`, {
    method,
    ...(method === 'POST' && { body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } }),
  });
  await response.arrayBuffer();
}

/** Attributes that differ between any two runs (ports, addresses), not between instrumentations. */
const VOLATILE_ATTRIBUTES = new Set(['network.peer.port', 'server.port', 'network.peer.address', 'client.address', 'server.address']);

function stableAttributes(attributes: Record<string, AttrValue>): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  for (const key of Object.keys(attributes).sort()) if (!VOLATILE_ATTRIBUTES.has(key) && key !== 'exception.stacktrace') out[key] = attributes[key];
  return out;
}

/** One request's spans as a comparable tree: each span by name, kind, its parent's name, status, attributes, events. */
function describeTrace(spans: ReceivedSpan[]) {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  return spans
    .map((span) => ({
      name: span.name,
      kind: span.kind,
      parent: span.parentSpanId === '' ? '' : (byId.get(span.parentSpanId)?.name ?? `missing parent ${span.parentSpanId}`),
      status: span.status,
      attributes: stableAttributes(span.attributes),
      events: span.events.map((event) => ({
        name: event.name,
        attributes: stableAttributes(event.attributes),
        stack: 'exception.stacktrace' in event.attributes,
      })),
    }))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** Request line -> its trace, found by the SERVER span's method and target. */
function tracesByRequest(spans: ReceivedSpan[]): Map<string, ReceivedSpan[]> {
  const byTrace = new Map<string, ReceivedSpan[]>();
  for (const span of spans) {
    const list = byTrace.get(span.traceId) ?? [];
    list.push(span);
    byTrace.set(span.traceId, list);
  }
  const out = new Map<string, ReceivedSpan[]>();
  for (const trace of byTrace.values()) {
    const server = trace.find((span) => span.kind === 'SERVER');
    if (!server) continue;
    const query = server.attributes['url.query'];
    out.set(`${server.attributes['http.request.method']} ${server.attributes['url.path']}${query ? `?${query}` : ''}`, trace);
  }
  return out;
}

describe('express instrumentation: ours vs upstream instrumentation-express (integration)', function () {
  this.timeout(120_000);
  let receiver: Receiver;

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
  });
  after(async () => {
    await receiver.close();
  });

  /** Runs the corpus through one app under one configuration; the app's exit flushes every span. */
  async function run(script: string, env: Record<string, string>, nodeArgs: string[], corpus: string[], serverSpans = corpus.length): Promise<Run> {
    receiver.reset();
    const app = startApp(script, {
      nodeArgs,
      env: { TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '100', OTEL_SEMCONV_STABILITY_OPT_IN: 'http', NODE_ENV: 'production', ...env },
    });
    try {
      const port = await app.port();
      for (const line of corpus) await send(port, line);
      await receiver.waitForSpans((spans) => spans.filter((span) => span.kind === 'SERVER').length >= serverSpans);
    } finally {
      const exit = await app.stop('SIGTERM');
      expect(exit.code, app.stderr).to.equal(0);
    }
    return { spans: [...receiver.spans] };
  }

  for (const { major, script } of APPS) {
    describe(`express ${major}`, () => {
      const corpus = CORPUS.filter((line) => major >= 5 || line !== 'GET /rejects');
      let upstream: Run;
      let all: Run;
      let none: Run;
      let auto: Run;

      before(async () => {
        upstream = await run(script, { TRACING_INSTRUMENTATIONS: '-express' }, ['-r', UPSTREAM_PRELOAD], corpus);
        all = await run(script, { TRACING_EXPRESS_MIDDLEWARE_SPANS: 'all' }, [], corpus);
        none = await run(script, { TRACING_EXPRESS_MIDDLEWARE_SPANS: 'none' }, [], corpus);
        auto = await run(script, {}, [], corpus);
      });

      it('upstream ran and made layer spans (the witness works)', () => {
        const layerSpans = upstream.spans.filter((span) => span.scope.name === UPSTREAM);
        expect(layerSpans.length).to.be.greaterThan(corpus.length);
        expect(all.spans.some((span) => span.scope.name === UPSTREAM)).to.equal(false);
      });

      it('mode all: every request gets upstream spans exactly (names, kinds, parents, status, attributes, events)', () => {
        const theirs = tracesByRequest(upstream.spans);
        const ours = tracesByRequest(all.spans);
        expect([...ours.keys()].sort()).to.deep.equal([...theirs.keys()].sort());
        for (const line of corpus) {
          expect(theirs.has(line), `${line} among ${[...theirs.keys()].join(', ')}`).to.equal(true);
          expect(describeTrace(ours.get(line)!), line).to.deep.equal(describeTrace(theirs.get(line)!));
        }
      });

      it('mode none: no layer spans, the same SERVER spans (name, http.route, status, exception events)', () => {
        expect(none.spans.filter((span) => span.scope.name === OURS)).to.deep.equal([]);
        const server = (spans: ReceivedSpan[]) => describeTrace(spans.filter((span) => span.kind === 'SERVER'));
        const theirs = tracesByRequest(upstream.spans);
        for (const [line, trace] of tracesByRequest(none.spans)) expect(server(trace), line).to.deep.equal(server(theirs.get(line)!));
      });

      it('mode auto: same SERVER spans; no router spans; a slow, a failing and a parent middleware are kept', () => {
        const theirs = tracesByRequest(upstream.spans);
        const ours = tracesByRequest(auto.spans);
        const server = (spans: ReceivedSpan[]) => describeTrace(spans.filter((span) => span.kind === 'SERVER'));
        for (const [line, trace] of ours) expect(server(trace), line).to.deep.equal(server(theirs.get(line)!));
        expect(auto.spans.filter((span) => span.name.startsWith('router - '))).to.deep.equal([]);

        const names = (line: string) => ours.get(line)!.map((span) => span.name);
        expect(names('GET /slow/x')).to.include('middleware - slowMiddleware');
        const failing = ours.get('GET /failing-mw/x')!.find((span) => span.name === 'middleware - failingMiddleware');
        expect(failing?.status).to.deep.equal({ code: 'ERROR', message: 'middleware failure' });
        expect(failing?.events.map((event) => event.attributes['exception.type'])).to.deep.equal(['RangeError']);
        // The kept spans are upstream's spans (same name, attributes, parent), only fewer.
        for (const line of ['GET /slow/x', 'GET /failing-mw/x', 'GET /child/x']) {
          const upstreamSpans = describeTrace(theirs.get(line)!);
          for (const span of describeTrace(ours.get(line)!)) expect(upstreamSpans, line).to.deep.include(span);
        }
      });

      it('mode auto: a child started in a middleware or handler has its parent exported, in every trace', () => {
        const ours = tracesByRequest(auto.spans);
        const child = ours.get('GET /child/x')!.find((span) => span.name === 'child of middleware')!;
        const parent = ours.get('GET /child/x')!.find((span) => span.spanId === child.parentSpanId);
        expect(parent?.name).to.equal('middleware - middlewareWithChild');
        const handlerChild = ours.get('GET /handler-child')!.find((span) => span.name === 'child of handler')!;
        // express 4 names it `request handler - /handler-child`, express 5 `request handler` (as upstream does).
        const handler = ours.get('GET /handler-child')!.find((span) => span.spanId === handlerChild.parentSpanId);
        expect(handler?.attributes['express.type']).to.equal('request_handler');
        const ids = new Set(auto.spans.map((span) => span.spanId));
        for (const span of auto.spans) if (span.parentSpanId !== '' && span.kind !== 'SERVER') expect(ids.has(span.parentSpanId), span.name).to.equal(true);
      });

      it('mode auto, TRACING_SAMPLE_RATE=0: layer spans follow the request (a kept failure exports its failing layer, a success nothing)', async () => {
        // Only the failure is kept (a 500); the app's exit flushes whatever else would have been exported.
        const unsampled = await run(script, { TRACING_SAMPLE_RATE: '0' }, [], ['GET /users/1', 'GET /slow/x', 'GET /failing-mw/x'], 1);
        const traces = tracesByRequest(unsampled.spans);
        expect([...traces.keys()]).to.deep.equal(['GET /failing-mw/x']);
        const failing = traces.get('GET /failing-mw/x')!.find((span) => span.name === 'middleware - failingMiddleware');
        expect(failing?.attributes['otel_agent.kept_by']).to.equal('error');
        expect(failing?.status.code).to.equal('ERROR');
      });
    });
  }
});
