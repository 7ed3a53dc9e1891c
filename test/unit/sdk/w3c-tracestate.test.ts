/**
 * tracestate validation and the Level 2 random flag, from the text of
 * https://www.w3.org/TR/trace-context-2/#tracestate-header and #random-trace-id-flag, plus the witness
 * for owning the validator: on valid headers our propagator's output is upstream's, and member by
 * member our grammar accepts exactly what upstream's TraceState keeps.
 */
import { expect } from 'chai';
import { ROOT_CONTEXT, TraceFlags, defaultTextMapGetter, defaultTextMapSetter, trace } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, AlwaysOnSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { MAX_TRACESTATE_MEMBERS, isValidTracestate, tracestateProblem } from '../../../src/sdk/w3c-tracestate';
import { createPropagator } from '../../../src/sdk/propagators';
import { TRACE_FLAG_RANDOM } from '../../../src/sdk/trace-origin';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const members = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i)).join(',');

const VALID: [string, string][] = [
  ['the specification example, one system', 'rojo=00f067aa0ba902b7'],
  ['the specification example, two systems', 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'],
  ['an empty header', ''],
  ['empty and whitespace-only members', 'rojo=1,, \t ,congo=2,'],
  ['spaces and tabs around members', ' rojo=1 ,\tcongo=2\t'],
  ['a value with leading spaces (kept) and inner spaces', 'rojo=  a b'],
  [
    'every value character but "," and "="',
    `k=${Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
      .filter((c) => c !== ',' && c !== '=')
      .join('')
      .trim()}`,
  ],
  ['key characters: digits, _ - * /', 'a0_-*/=1'],
  ['the vendor form tenant@system', 'fw529a3039@dt=1,0tenant@sys_tem-1*/=2'],
  ['a 256-character key', `${'k'.repeat(256)}=1`],
  ['a 241-character tenant and 14-character system', `${'t'.repeat(241)}@${'s'.repeat(14)}=1`],
  ['a 256-character value', `k=${'v'.repeat(256)}`],
  [`exactly ${MAX_TRACESTATE_MEMBERS} members`, members(32, (i) => `k${i}=v`)],
  ['32 members and empty ones', `${members(32, (i) => `k${i}=v`)},,`],
];

const INVALID: [string, string][] = [
  ['an uppercase key', 'Rojo=1'],
  ['a key starting with a digit (simple keys start with a letter)', '1rojo=1'],
  ['a key starting with "_"', '_rojo=1'],
  ['a 257-character key', `${'k'.repeat(257)}=1`],
  ['a 242-character tenant', `${'t'.repeat(242)}@sys=1`],
  ['a 15-character system', `t@${'s'.repeat(15)}=1`],
  ['a system starting with a digit', 't@1sys=1'],
  ['two "@" in a key', 'a@b@c=1'],
  ['an empty tenant', '@sys=1'],
  ['a key with "."', 'ro.jo=1'],
  ['a key with a space before "="', 'rojo =1'],
  ['a 257-character value', `k=${'v'.repeat(257)}`],
  ['an empty value', 'rojo='],
  ['a value of spaces only', 'rojo=   '],
  ['a value with "="', 'rojo=a=b'],
  ['a value with a tab', 'rojo=a\tb'],
  ['a value with a non-ASCII character', 'rojo=caf\u00e9'],
  ['a value with a control character', 'rojo=a\u0001'],
  ['a member without "="', 'rojo'],
  ['an empty key', '=1'],
  [`${MAX_TRACESTATE_MEMBERS + 1} members`, members(33, (i) => `k${i}=v`)],
  ['a duplicate key', 'rojo=1,congo=2,rojo=3'],
  ['one bad member among good ones', 'rojo=1,BAD=2,congo=3'],
];

function extract(propagator: { extract(c: Context, carrier: unknown, g: typeof defaultTextMapGetter): Context }, headers: Record<string, string | string[]>) {
  return trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
}

function injected(context: Context, propagator = createPropagator(['tracecontext'])): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagator.inject(context, carrier, defaultTextMapSetter);
  return carrier;
}

describe('W3C tracestate validation (Trace Context Level 2)', () => {
  for (const [label, header] of VALID) {
    it(`valid: ${label}`, () => expect(tracestateProblem(header), JSON.stringify(header)).to.equal(undefined));
  }
  for (const [label, header] of INVALID) {
    it(`invalid: ${label}`, () => expect(isValidTracestate(header), JSON.stringify(header)).to.equal(false));
  }

  it('an invalid header is discarded whole while its traceparent applies; a valid one reaches the span context', () => {
    const propagator = createPropagator(['tracecontext']);
    const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`;
    for (const [label, tracestate] of INVALID) {
      const spanContext = extract(propagator, { traceparent, tracestate });
      expect(spanContext, label).to.deep.include({ traceId: TRACE_ID, spanId: PARENT_ID, traceFlags: 1, isRemote: true });
      expect(spanContext?.traceState, label).to.equal(undefined);
    }
    expect(extract(propagator, { traceparent, tracestate: 'rojo=1,congo=2' })?.traceState?.serialize()).to.equal('rojo=1,congo=2');
    // Two fields are one list: a key in both is a duplicate.
    expect(extract(propagator, { traceparent, tracestate: ['rojo=1', 'congo=2'] })?.traceState?.serialize()).to.equal('rojo=1,congo=2');
    expect(extract(propagator, { traceparent, tracestate: ['rojo=1', 'rojo=2'] })?.traceState).to.equal(undefined);
  });

  it('differential: on valid headers, ours extracts and re-injects exactly what upstream does', () => {
    const ours = createPropagator(['tracecontext']);
    const upstream = new W3CTraceContextPropagator();
    const inputs = [
      ...VALID.map(([, header]) => header),
      members(40, (i) => `k${i}=${'v'.repeat(20)}`)
        .split(',')
        .slice(0, 32)
        .join(','),
    ];
    for (const tracestate of inputs) {
      for (const flags of ['00', '01', '03']) {
        const headers = { traceparent: `00-${TRACE_ID}-${PARENT_ID}-${flags}`, tracestate };
        const a = ours.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
        const b = upstream.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
        const spanA = trace.getSpanContext(a);
        const spanB = trace.getSpanContext(b);
        expect({ ...spanA, traceState: spanA?.traceState?.serialize() }, tracestate).to.deep.equal({ ...spanB, traceState: spanB?.traceState?.serialize() });
        // Pass-through of the remote context: unchanged, as upstream sends it.
        expect(injected(a, ours), tracestate).to.deep.equal(injected(b, upstream as never));
      }
    }
  });

  it('differential: member by member, our grammar accepts exactly what upstream TraceState keeps', () => {
    // Keys and values from an alphabet of every boundary: valid and invalid characters of each part.
    const alphabet = ['a', 'z', '0', '9', '_', '-', '*', '/', '@', 'A', '.', ' ', '\t', '=', ',', '~', '!', '"', '\u00e9', '\u007f'];
    let seed = 42;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const word = (max: number) => Array.from({ length: random(max) }, () => alphabet[random(alphabet.length)]).join('');
    let compared = 0;
    for (let i = 0; i < 20_000; i++) {
      const key = word(6);
      const value = word(6);
      const member = `${key}=${value}`;
      // Upstream trims OWS around a member with String#trim and splits on every ","; compare only
      // members that are one member with nothing to trim, where both read the same key and value.
      if (member.includes(',') || member !== member.trim() || key.includes('=')) continue;
      compared++;
      const upstreamKeeps = new TraceState(member).get(key) === value;
      expect(isValidTracestate(member), JSON.stringify(member)).to.equal(upstreamKeeps);
    }
    expect(compared).to.be.above(5_000);
  });
});

describe('W3C Level 2 random trace flag', () => {
  const provider = (sampled: boolean) => new TracerProvider({ sampler: sampled ? new AlwaysOnSampler() : new AlwaysOffSampler() });
  const flagsOf = (carrier: Record<string, string>) => carrier.traceparent?.split('-')[3];

  it('a trace the agent starts is sent with 03 (sampled) or 02 (not sampled), and so are its children', () => {
    for (const [sampled, expected] of [
      [true, '03'],
      [false, '02'],
    ] as const) {
      const tracer = provider(sampled).getTracer('t');
      const root = tracer.startSpan('root');
      const rootContext = trace.setSpan(ROOT_CONTEXT, root);
      const child = tracer.startSpan('child', {}, rootContext);
      const grandchild = tracer.startSpan('grandchild', {}, trace.setSpan(rootContext, child));
      for (const span of [root, child, grandchild]) {
        // The span keeps the SDK's flags: the sampled bit only.
        expect(span.spanContext().traceFlags).to.equal(sampled ? TraceFlags.SAMPLED : TraceFlags.NONE);
      }
      expect(flagsOf(injected(trace.setSpan(rootContext, grandchild)))).to.equal(expected);
      expect(flagsOf(injected(rootContext))).to.equal(expected);
    }
  });

  it('a joined trace keeps the incoming random bit as it came, through every local span', () => {
    const propagator = createPropagator(['tracecontext']);
    const tracer = provider(true).getTracer('t');
    for (const [incoming, expected] of [
      ['01', '01'],
      ['03', '03'],
      ['00', '01'],
      ['02', '03'],
    ]) {
      const extracted = propagator.extract(ROOT_CONTEXT, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-${incoming}` }, defaultTextMapGetter);
      const server = tracer.startSpan('server', {}, extracted);
      const serverContext = trace.setSpan(extracted, server);
      const client = tracer.startSpan('client', {}, serverContext);
      const sent = injected(trace.setSpan(serverContext, client), propagator);
      expect(sent.traceparent, incoming).to.equal(`00-${TRACE_ID}-${client.spanContext().spanId}-${expected}`);
      // A new root under the request is a trace this process started.
      const root = tracer.startSpan('detached', { root: true }, serverContext);
      expect(flagsOf(injected(trace.setSpan(serverContext, root), propagator)), incoming).to.equal('03');
    }
  });

  it('a trace joined through another format (b3) is not marked random; an invalid traceparent starts a random one', () => {
    const propagator = createPropagator(['tracecontext', 'b3']);
    const tracer = provider(true).getTracer('t');
    const viaB3 = propagator.extract(ROOT_CONTEXT, { b3: `${TRACE_ID}-${PARENT_ID}-1` }, defaultTextMapGetter);
    const span = tracer.startSpan('server', {}, viaB3);
    expect(span.spanContext().traceId).to.equal(TRACE_ID);
    expect(flagsOf(injected(trace.setSpan(viaB3, span), propagator))).to.equal('01');
    const invalid = propagator.extract(ROOT_CONTEXT, { traceparent: `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01` }, defaultTextMapGetter);
    const restarted = tracer.startSpan('server', {}, invalid);
    expect(restarted.spanContext().traceId).not.to.equal(TRACE_ID);
    expect(flagsOf(injected(trace.setSpan(invalid, restarted), propagator))).to.equal('03');
    expect(TRACE_FLAG_RANDOM).to.equal(0x02);
  });
});
