/** The agent's sampler: specification semantics, rules, the token bucket, path globs and routes. */
import { expect } from 'chai';
import { context, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { loadConfig } from '../../../src/config/load-config';
import { AgentSampler, compilePathGlobs, pathGlobToRegExp, routeToRegExp, TokenBucket } from '../../../src/sdk/sampling';

const NOT_RECORD = 0;
const RECORD = 1;
const RECORD_AND_SAMPLED = 2;

function sampler(env: Record<string, string>, recordUnsampled = false): AgentSampler {
  const { config, problems } = loadConfig({ env: { TRACING_SERVICE_NAME: 'svc', ...env } });
  expect(problems).to.deep.equal([]);
  return new AgentSampler(config, recordUnsampled);
}

function withParent(flags: number) {
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), traceFlags: flags, isRemote: true });
}

const traceIds = Array.from({ length: 2000 }, (_, i) => (i * 2654435761).toString(16).padStart(8, '0').repeat(4).slice(0, 32));

function decide(s: AgentSampler, attributes = {}, ctx = ROOT_CONTEXT, traceId = traceIds[0]) {
  return s.shouldSample(ctx, traceId, 'GET', SpanKind.SERVER, attributes, []).decision;
}

describe('sdk: AgentSampler', () => {
  it('parent-based by default: a valid parent decides, both ways', () => {
    const s = sampler({ TRACING_SAMPLE_RATE: '0.5' });
    expect(decide(s, {}, withParent(TraceFlags.SAMPLED))).to.equal(RECORD_AND_SAMPLED);
    expect(decide(s, {}, withParent(TraceFlags.NONE))).to.equal(NOT_RECORD);
  });

  it('always_on and always_off ignore the parent; traceidratio decides by trace id', () => {
    expect(decide(sampler({ OTEL_TRACES_SAMPLER: 'always_on' }), {}, withParent(TraceFlags.NONE))).to.equal(RECORD_AND_SAMPLED);
    expect(decide(sampler({ OTEL_TRACES_SAMPLER: 'always_off' }), {}, withParent(TraceFlags.SAMPLED))).to.equal(NOT_RECORD);
    const ratio = sampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    const sampled = traceIds.filter((id) => decide(ratio, {}, withParent(TraceFlags.SAMPLED), id) === RECORD_AND_SAMPLED).length;
    // Binomial(2000, 0.25): mean 500, sd ~19; these bounds are > 5 sd.
    expect(sampled).to.be.within(400, 600);
  });

  it('unsampled spans are recorded (not sampled) when keeping by outcome', () => {
    const s = sampler({ TRACING_SAMPLE_RATE: '0' }, true);
    expect(decide(s)).to.equal(RECORD);
    expect(decide(s, {}, withParent(TraceFlags.NONE))).to.equal(RECORD);
  });

  it('rules: first match wins, by method and path glob or route; other services never match', () => {
    const rules = [
      { service: 'other', sample_rate: 1 },
      { method: 'post', path: '/api/**', sample_rate: 0 },
      { path: '/api/**', sample_rate: 1 },
      { route: '/users/:id', sample_rate: 1 },
    ];
    const s = sampler({ TRACING_SAMPLE_RATE: '0', TRACING_SAMPLING_RULES: JSON.stringify(rules) });
    expect(decide(s, { 'http.request.method': 'GET', 'url.path': '/api/v1/orders' })).to.equal(RECORD_AND_SAMPLED);
    expect(decide(s, { 'http.request.method': 'POST', 'url.path': '/api/v1/orders' })).to.equal(NOT_RECORD);
    expect(decide(s, { 'http.request.method': 'GET', 'url.path': '/users/42' })).to.equal(RECORD_AND_SAMPLED);
    expect(decide(s, { 'http.request.method': 'GET', 'url.path': '/users/42/orders' })).to.equal(NOT_RECORD);
    expect(decide(s, { 'http.request.method': 'GET', 'url.path': '/other' })).to.equal(NOT_RECORD);
    // A sampled parent still decides under a parent-based sampler: rules are for traces this service starts.
    expect(decide(s, { 'url.path': '/other' }, withParent(TraceFlags.SAMPLED))).to.equal(RECORD_AND_SAMPLED);
  });

  it('the token bucket admits a burst of max(rate, 1), then rate per second', () => {
    let now = 0;
    const bucket = new TokenBucket(2, () => now);
    expect([bucket.take(), bucket.take(), bucket.take()]).to.deep.equal([true, true, false]);
    now += 500;
    expect([bucket.take(), bucket.take()]).to.deep.equal([true, false]);
    now += 10_000;
    expect([bucket.take(), bucket.take(), bucket.take()]).to.deep.equal([true, true, false]);
  });

  it('path globs: * within a segment, ** across; routes: :name is one segment, trailing slash optional', () => {
    expect(pathGlobToRegExp('/healthz').test('/healthz')).to.equal(true);
    expect(pathGlobToRegExp('/healthz').test('/healthz/x')).to.equal(false);
    expect(pathGlobToRegExp('/api/*/status').test('/api/v1/status')).to.equal(true);
    expect(pathGlobToRegExp('/api/*/status').test('/api/v1/x/status')).to.equal(false);
    expect(pathGlobToRegExp('/static/**').test('/static/a/b.css')).to.equal(true);
    expect(pathGlobToRegExp('/a.b').test('/aXb')).to.equal(false);
    expect(routeToRegExp('/users/:id').test('/users/7/')).to.equal(true);
    expect(routeToRegExp('/users/:id').test('/users/')).to.equal(false);
    const ignored = compilePathGlobs(['/healthz', '/metrics', '/internal/**'])!;
    expect(['/healthz', '/metrics', '/internal/a/b', '/orders'].map(ignored)).to.deep.equal([true, true, true, false]);
    expect(compilePathGlobs([])).to.equal(undefined);
    void context;
  });

  it('bad rules are one problem line each, naming the rule; good ones are kept', () => {
    const { config, problems } = loadConfig({
      env: {
        TRACING_SAMPLING_RULES: JSON.stringify([
          { path: '/a', sample_rate: 2 },
          { route: 'x', sample_rate: 1 },
          { foo: 1, sample_rate: 1 },
          { path: '/ok', sample_rate: 0.5 },
        ]),
      },
    });
    expect(config.samplingRules).to.deep.equal([{ path: '/ok', sampleRate: 0.5 }]);
    expect(problems).to.have.length(3);
    expect(problems[0]).to.include('rule #1 that has no sample_rate between 0 and 1');
    expect(problems[1]).to.include('rule #2 that has a route that does not start with "/"');
    expect(problems[2]).to.include('rule #3 that has an unknown key "foo"');
  });
});
