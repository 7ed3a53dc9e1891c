'use strict';
// The host-noise reading of a run: /proc/stat parsing and the noisy flag, on synthetic readings.
const { expect } = require('chai');
const { cpuTimes, cpuTimesOf, stealShareBetween, hostNoise, describeHostNoise } = require('../lib/host-noise');

describe('bench host noise', () => {
  it('reads total and steal time from the cpu line of /proc/stat', () => {
    expect(cpuTimesOf('cpu  100 5 50 800 10 2 3 30 0 0')).to.deep.equal({ total: 1000, steal: 30 });
    expect(cpuTimesOf('cpu0 100 5 50 800 10 2 3 30 0 0')).to.equal(undefined);
    expect(cpuTimesOf('cpu  100 5 50')).to.equal(undefined);
    if (process.platform === 'linux') expect(cpuTimes().total).to.be.above(0);
  });
  it('computes the stolen share between two readings', () => {
    expect(stealShareBetween({ total: 1000, steal: 10 }, { total: 3000, steal: 70 })).to.be.closeTo(0.03, 1e-9);
    expect(stealShareBetween(undefined, { total: 1, steal: 0 })).to.equal(undefined);
    expect(stealShareBetween({ total: 5, steal: 0 }, { total: 5, steal: 0 })).to.equal(undefined);
  });
  it('is quiet when bare moved little and nothing was stolen', () => {
    const n = hostNoise([16, 17, 16.5], 0.001);
    expect(n.noisy).to.equal(false);
    expect(n.bareSpread).to.be.closeTo(17 / 16, 1e-9);
    expect(describeHostNoise(n)).to.equal("bare node's CPU per request on /users/:id 16-17 µs over the rounds (1.06x); CPU steal 0.1% of the load phase.");
  });
  it('flags a run whose bare moved more than 1.25x, or with over 2% steal, and says why', () => {
    const spread = hostNoise([20, 26], 0);
    expect(spread.noisy).to.equal(true);
    expect(spread.reasons).to.have.length(1);
    expect(describeHostNoise(spread)).to.contain('**Noisy host**').and.to.contain('1.30x between rounds');
    const steal = hostNoise([20, 21], 0.05);
    expect(steal.noisy).to.equal(true);
    expect(describeHostNoise(steal)).to.contain('5.0% of the CPU time was stolen');
    expect(hostNoise([20, 25], 0.02).noisy).to.equal(false); // at the thresholds: not over them
  });
  it("flags a host on which bare needed over 1.5x the CPU per request of issue 13's measurement", () => {
    const slow = hostNoise([60, 62, 64], 0, '24');
    expect(slow.slowdown).to.be.closeTo(62 / 16, 1e-9);
    expect(slow.noisy).to.equal(true);
    expect(describeHostNoise(slow)).to.contain('3.9x the CPU per request');
    expect(hostNoise([90, 95, 99], 0, '20').noisy).to.equal(false); // 95 / 66 = 1.44x
    expect(Number.isNaN(hostNoise([60, 62, 64], 0, '22').slowdown), 'no reference for Node 22').to.equal(true);
  });
  it('ignores rounds without a reading', () => {
    const n = hostNoise([NaN, 30], undefined);
    expect(n.bareMin).to.equal(30);
    expect(n.noisy).to.equal(false);
    expect(describeHostNoise(n)).to.contain('30 µs (one round)').and.to.contain('CPU steal unknown');
  });
});
