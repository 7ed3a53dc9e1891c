/**
 * Differential: lean-span.ts against the sdk-trace 2.11.0 it ports. Each scenario runs the same calls
 * on a tracer of sdk-trace's own and on one with lean spans installed (same provider options, ids
 * from the same sequence, the same frozen clock), and compares what a user and the processors see:
 * the span at onStart, onEnding and onEnd, the returned span, and every diag message.
 */
import { expect } from 'chai';
import { context, diag, DiagLogLevel, ROOT_CONTEXT, SamplingDecision, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing, TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { IdGenerator, ReadableSpan, Sampler, SamplingResult, SpanLimits, SpanProcessor } from '@opentelemetry/sdk-trace';
import { installLeanSpans, LeanSpan } from '../../../src/sdk/lean-span';
import { useLeanTracers } from '../../../src/sdk/tracing';

type Seen = unknown[];

/** Everything of a span a processor or exporter reads, as plain data (attribute order included). */
function snapshot(span: ReadableSpan | Span): unknown {
  const s = span as ReadableSpan & Span;
  if (!('attributes' in span)) return { nonRecording: true, spanContext: s.spanContext(), isRecording: s.isRecording(), type: s.constructor.name };
  return JSON.parse(
    JSON.stringify({
      name: s.name,
      kind: s.kind,
      spanContext: s.spanContext(),
      traceState: s.spanContext().traceState?.serialize(),
      parentSpanContext: s.parentSpanContext,
      startTime: s.startTime,
      endTime: s.endTime,
      duration: s.duration,
      ended: s.ended,
      isRecording: s.isRecording(),
      status: s.status,
      attributes: Object.entries(s.attributes),
      events: s.events.map((e) => ({ ...e, attributes: e.attributes && Object.entries(e.attributes) })),
      links: s.links.map((l) => ({ ...l, attributes: l.attributes && Object.entries(l.attributes) })),
      droppedAttributesCount: s.droppedAttributesCount,
      droppedEventsCount: s.droppedEventsCount,
      droppedLinksCount: s.droppedLinksCount,
      resource: s.resource.attributes,
      scope: s.instrumentationScope,
    }),
  );
}

class RecordingProcessor implements SpanProcessor {
  constructor(private readonly _seen: Seen) {}
  onStart(span: Span, parentContext: Context): void {
    this._seen.push(['onStart', snapshot(span), trace.getSpanContext(parentContext)]);
  }
  onEnding(span: Span): void {
    this._seen.push(['onEnding', snapshot(span)]);
  }
  onEnd(span: ReadableSpan): void {
    this._seen.push(['onEnd', snapshot(span)]);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

class SequentialIds implements IdGenerator {
  private _n = 0;
  generateTraceId(): string {
    return (++this._n).toString(16).padStart(32, '0');
  }
  generateSpanId(): string {
    return (++this._n).toString(16).padStart(16, 'a');
  }
}

/** A sampler whose answer the scenario sets; it records what it was shown. */
class ScriptedSampler implements Sampler {
  result: SamplingResult = { decision: SamplingDecision.RECORD_AND_SAMPLED };
  constructor(private readonly _seen: Seen) {}
  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    this._seen.push(['shouldSample', trace.getSpanContext(ctx), traceId, name, kind, Object.entries(attributes), JSON.parse(JSON.stringify(links))]);
    return this.result;
  }
  toString(): string {
    return 'ScriptedSampler';
  }
}

/** A frozen clock: Date.now and performance.now move only when the scenario says (both implementations read it as often as they like). */
const clock = {
  perfMs: 1000.25,
  advance(ms: number): void {
    this.perfMs += ms;
  },
};

interface Setup {
  tracer: Tracer;
  sampler: ScriptedSampler;
  seen: Seen;
}

function setup(lean: boolean, spanLimits: SpanLimits): Setup {
  const seen: Seen = [];
  const sampler = new ScriptedSampler(seen);
  const provider = new TracerProvider({
    sampler,
    idGenerator: new SequentialIds(),
    spanLimits,
    resource: resourceFromAttributes({ 'service.name': 'svc' }),
    spanProcessors: [new RecordingProcessor(seen)],
  });
  const tracer = provider.getTracer('scope', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  if (lean) expect(installLeanSpans(tracer)).to.equal(true);
  return { tracer, sampler, seen };
}

type Scenario = (s: Setup) => unknown;

/** Runs `scenario` on both, each from the same clock and with its diag messages captured; returns both records. */
function runBoth(scenario: Scenario, spanLimits: SpanLimits = {}): { sdk: Seen; lean: Seen } {
  const out: Record<'sdk' | 'lean', Seen> = { sdk: [], lean: [] };
  const realDateNow = Date.now;
  const realPerfNow = performance.now;
  for (const kind of ['sdk', 'lean'] as const) {
    clock.perfMs = 1000.25;
    Date.now = () => Math.floor(performance.timeOrigin + clock.perfMs);
    performance.now = () => clock.perfMs;
    const s = setup(kind === 'lean', spanLimits);
    const log =
      (level: string) =>
      (message: string, ...args: unknown[]) =>
        s.seen.push(['diag', level, message, ...args.map((a) => (a instanceof Error ? `Error: ${a.message}` : JSON.parse(JSON.stringify(a ?? null))))]);
    diag.setLogger(
      { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), verbose: log('verbose') },
      { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true },
    );
    try {
      const returned = scenario(s);
      if (returned !== undefined) s.seen.push(['returned', snapshot(returned as Span)]);
    } finally {
      diag.disable();
      Date.now = realDateNow;
      performance.now = realPerfNow;
    }
    out[kind] = s.seen;
  }
  return out;
}

function expectSame(scenario: Scenario, spanLimits?: SpanLimits): Seen {
  const { sdk, lean } = runBoth(scenario, spanLimits);
  expect(lean).to.deep.equal(sdk);
  expect(sdk.length).to.be.greaterThan(0);
  return sdk;
}

const remoteParent: SpanContext = {
  traceId: 'ab'.repeat(16),
  spanId: 'cd'.repeat(8),
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
  traceState: new TraceState('k=v'),
};
const serverAttributes: Attributes = {
  'http.request.method': 'GET',
  'url.scheme': 'http',
  'url.path': '/users/42',
  'server.address': '127.0.0.1',
  'server.port': 3000,
  'network.peer.address': '::1',
  'network.peer.port': 50123,
  'user_agent.original': 'curl/8',
  'network.protocol.version': '1.1',
};

describe('sdk: lean spans (differential against sdk-trace 2.11.0)', () => {
  it('an http SERVER span, start to end, under a remote parent', () => {
    const seen = expectSame(({ tracer }) => {
      const span = tracer.startSpan('GET', { kind: SpanKind.SERVER, attributes: serverAttributes }, trace.setSpanContext(ROOT_CONTEXT, remoteParent));
      clock.advance(3.5);
      span.setAttribute('http.response.status_code', 200);
      span.setAttribute('http.route', '/users/:id');
      span.setStatus({ code: SpanStatusCode.UNSET });
      span.updateName('GET /users/:id');
      clock.advance(0.125);
      span.end();
      return span;
    });
    // The comparison saw a real span: start, ending and end, with the route and the parent.
    // (first and last: the API's own "Registered / Unregistering a global for diag")
    expect(seen.map((e) => (e as unknown[])[0])).to.deep.equal(['diag', 'shouldSample', 'onStart', 'onEnding', 'onEnd', 'returned', 'diag']);
    expect(JSON.stringify(seen)).to.include('/users/:id').and.include('cd'.repeat(8));
  });

  it('start attributes: invalid keys and values, null and undefined, arrays, numbers, booleans', () => {
    expectSame(({ tracer }) => {
      const mixed = [1, 'two'] as unknown as string[];
      const array = ['a', null, 'b'] as string[];
      const span = tracer.startSpan('s', {
        attributes: {
          '': 'empty key',
          ok: 'yes',
          n: 1.5,
          b: false,
          nul: null,
          und: undefined,
          obj: { a: 1 },
          mixed,
          array,
          num: [1, 2],
        } as unknown as Attributes,
      });
      array.push('pushed later'); // the span's copy must not see it
      span.setAttribute('ok', 'again');
      span.setAttribute('', 'x');
      span.setAttribute('bad', {} as never);
      span.setAttribute('nothing', undefined as never);
      span.setAttributes({ more: 1, '': 2, und: undefined });
      span.end();
      return span;
    });
  });

  it('attribute count limit, at the start and later', () => {
    for (const [attributeCountLimit, extra] of [0, 2, 9, 10, 12].flatMap(
      (limit) =>
        [
          [limit, {}],
          [limit, { z: undefined }],
        ] as const,
    )) {
      expectSame(
        ({ tracer }) => {
          const span = tracer.startSpan('s', { kind: SpanKind.CLIENT, attributes: { ...serverAttributes, ...extra } });
          span.setAttribute('late', 1);
          span.setAttribute('url.path', '/replaced');
          span.end();
          return span;
        },
        { attributeCountLimit },
      );
    }
  });

  it('attribute value length limit: strings and string arrays truncated, other values untouched; 0 warns per value', () => {
    for (const attributeValueLengthLimit of [0, 3, 8, 1000]) {
      expectSame(
        ({ tracer }) => {
          const span = tracer.startSpan('s', { attributes: { short: 'ab', long: 'abcdefghijkl', list: ['abcdefgh', 'ab', 'x'], nums: [1, 2], flag: true } });
          span.setAttribute('later', 'abcdefghijkl');
          span.addEvent('e', { long: 'abcdefghijkl', list: ['abcdefghijk'] });
          span.addLink({ context: remoteParent, attributes: { long: 'abcdefghijkl' } });
          span.end();
          return span;
        },
        { attributeValueLengthLimit },
      );
    }
  });

  it('events: times, limits, exceptions of every shape', () => {
    for (const limits of [{}, { eventCountLimit: 0 }, { eventCountLimit: 2, attributePerEventCountLimit: 1 }] as SpanLimits[]) {
      expectSame(({ tracer }) => {
        const span = tracer.startSpan('s');
        clock.advance(1);
        span.addEvent('plain');
        span.addEvent('with attributes', { a: 1, b: 'two', '': 'dropped' });
        span.addEvent('time as second argument', 1500.5);
        span.addEvent('epoch ms', { a: 1 }, Date.now() - 5);
        span.addEvent('hrtime', [1700000000, 5]);
        span.addEvent('date', new Date(1700000000123));
        const error = new Error('boom');
        span.recordException(error);
        span.recordException(Object.assign(new Error('with code'), { code: 'E_CODE' }));
        span.recordException('a string');
        span.recordException({} as Error);
        span.recordException({ name: 'OnlyName' }, 1200);
        clock.advance(2);
        span.end();
        return span;
      }, limits);
    }
  });

  it('links: in the options and added later, with their limits', () => {
    const links: Link[] = [
      { context: remoteParent, attributes: { a: 1, b: 2, '': 3 } },
      { context: { ...remoteParent, spanId: 'ef'.repeat(8) } },
      { context: { ...remoteParent, spanId: '12'.repeat(8) }, attributes: {} },
    ];
    for (const limits of [{}, { linkCountLimit: 0 }, { linkCountLimit: 2, attributePerLinkCountLimit: 1 }] as SpanLimits[]) {
      expectSame(({ tracer }) => {
        const span = tracer.startSpan('s', { links });
        span.addLink({ context: remoteParent, attributes: { late: true } });
        span.addLinks(links);
        span.end();
        return span;
      }, limits);
    }
  });

  it('status: UNSET ignored, OK final, ERROR messages checked', () => {
    expectSame(({ tracer }) => {
      const a = tracer.startSpan('a');
      a.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
      a.setStatus({ code: SpanStatusCode.ERROR, message: 'real' });
      a.setStatus({ code: SpanStatusCode.UNSET });
      a.end();
      const b = tracer.startSpan('b');
      b.setStatus({ code: SpanStatusCode.OK, message: 'ignored for OK' });
      b.setStatus({ code: SpanStatusCode.ERROR, message: 'after OK' });
      b.end();
      return b;
    });
  });

  it('after end: every call warns and changes nothing; a second end is an error', () => {
    expectSame(({ tracer }) => {
      const span = tracer.startSpan('s', { attributes: { a: 1 } });
      span.end();
      span.setAttribute('b', 2);
      span.setAttributes({ c: 3 });
      span.addEvent('late');
      span.addLink({ context: remoteParent });
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.updateName('renamed');
      span.recordException(new Error('late'));
      span.end();
      return span;
    });
  });

  it('start and end times of every input shape, and an end before the start', () => {
    const inputs: unknown[] = [undefined, 900.5, 1700000000123.25, new Date(1700000000456), [1700000001, 999999999]];
    for (const start of inputs) {
      for (const end of inputs) {
        expectSame(({ tracer }) => {
          const span = tracer.startSpan('s', { startTime: start as never });
          clock.advance(7.75);
          span.addEvent('between');
          span.end(end as never);
          return span;
        });
      }
    }
  });

  it('parents and sampling: root option, invalid parent, suppressed, NOT_RECORD, RECORD, sampler attributes and trace state', () => {
    const parentContext = trace.setSpanContext(ROOT_CONTEXT, remoteParent);
    const invalidParent = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 });
    const results: SamplingResult[] = [
      { decision: SamplingDecision.RECORD_AND_SAMPLED },
      { decision: SamplingDecision.RECORD },
      { decision: SamplingDecision.NOT_RECORD, traceState: new TraceState('x=1') },
      { decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { 'sampler.rule': 'r1', a: 'overridden', '': 'bad' }, traceState: new TraceState('y=2') },
    ];
    for (const result of results) {
      expectSame(({ tracer, sampler }) => {
        sampler.result = result;
        const spans = [
          tracer.startSpan('child', { attributes: { a: 'original' } }, parentContext),
          tracer.startSpan('root option', { root: true }, parentContext),
          tracer.startSpan('invalid parent', {}, invalidParent),
          tracer.startSpan('suppressed', {}, suppressTracing(parentContext)),
          tracer.startSpan('no context given'),
          tracer.startSpan('null links', { links: null as never }, parentContext),
        ];
        for (const s of spans) s.end();
        return spans[0];
      });
    }
  });

  it('startActiveSpan runs the callback in the new span with a lean start', () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      expectSame(({ tracer }) =>
        tracer.startActiveSpan('outer', { kind: SpanKind.PRODUCER }, (outer) => {
          const inner = tracer.startSpan('inner'); // parented by the active span
          inner.end();
          outer.end();
          return outer;
        }),
      );
    } finally {
      context.disable();
    }
  });

  it('installs only on a tracer with sdk-trace 2.x fields, and the agent provider hands out lean tracers', () => {
    const foreign = { startSpan: () => undefined };
    expect(installLeanSpans(foreign)).to.equal(false);
    expect(foreign.startSpan()).to.equal(undefined);
    const provider = new TracerProvider({ spanProcessors: [] });
    useLeanTracers(provider);
    const span = provider.getTracer('any').startSpan('s', {}, ROOT_CONTEXT);
    expect(span).to.be.instanceOf(LeanSpan);
    expect(provider.getTracer('any').startSpan('again', {}, ROOT_CONTEXT)).to.be.instanceOf(LeanSpan);
  });
});
