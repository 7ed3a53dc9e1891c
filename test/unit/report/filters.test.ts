import { expect } from 'chai';
import { parseDuration, spanMatches } from '../../../src/report/filters';
import { nanosToMs } from '../../../src/report/read-spans';
import { makeSpan } from './spans';

describe('report filters', () => {
  it('--since takes ms, s, m, h and d', () => {
    expect(parseDuration('250ms')).to.equal(250);
    expect(parseDuration('30s')).to.equal(30_000);
    expect(parseDuration('10m')).to.equal(600_000);
    expect(parseDuration('1.5h')).to.equal(5_400_000);
    expect(parseDuration('2d')).to.equal(172_800_000);
  });

  it('--since refuses what is not a positive duration with a unit', () => {
    for (const text of ['10', 'm', '-5m', '0s', '10 minutes', '5w', '']) expect(parseDuration(text), text).to.equal(undefined);
  });

  it('a span matches --since when it ended within the window before the newest end', () => {
    const newest = makeSpan({ traceId: 't', spanId: 'a', service: 'web', startMs: 10_000, durationMs: 0 });
    const newestEndMs = nanosToMs(newest.endTimeUnixNano);
    const inside = makeSpan({ traceId: 't', spanId: 'b', service: 'web', startMs: 9_000, durationMs: 500 });
    const outside = makeSpan({ traceId: 't', spanId: 'c', service: 'web', startMs: 1_000, durationMs: 500 });
    expect(spanMatches(inside, { sinceMs: 1_000 }, newestEndMs)).to.equal(true);
    expect(spanMatches(outside, { sinceMs: 1_000 }, newestEndMs)).to.equal(false);
    expect(spanMatches(outside, {}, newestEndMs)).to.equal(true);
  });

  it('--service and --route compare the service name and the operation (http.route, else name)', () => {
    const routed = makeSpan({ traceId: 't', spanId: 'a', service: 'web', kind: 'SERVER', route: '/users/:id' });
    const named = makeSpan({ traceId: 't', spanId: 'b', service: 'worker', name: 'poll queue' });
    expect(spanMatches(routed, { service: 'web', route: '/users/:id' }, 0)).to.equal(true);
    expect(spanMatches(routed, { service: 'worker' }, 0)).to.equal(false);
    expect(spanMatches(routed, { route: 'GET /users/:id' }, 0)).to.equal(false);
    expect(spanMatches(named, { route: 'poll queue' }, 0)).to.equal(true);
  });
});
