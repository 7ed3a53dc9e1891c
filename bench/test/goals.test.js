'use strict';
// Issue 13's goal rows are computed, never hard-coded: check PASS / MISS / INVALID / n/a on synthetic analyses.
const { expect } = require('chai');
const { goalRows, peerTable } = require('../lib/goals');

function analysis({ agentCpu = 40, ddCpu = 100, agent0Cpu = 2, ratio = 0.8, rss = 10, startupMs = 50, failures = {}, exportFailures = {}, without = [] } = {}) {
  const route = (addedCpuUs, r = 1) => ({ cpuUs: 20 + addedCpuUs, addedCpuUs, ratio: r, ratioMin: r, ratioMax: r });
  const meta = (addedRssAfter) => ({ addedRssAfter, rssAfter: 100 + addedRssAfter, bytesPerReq: 1000, decodedBytesPerReq: 1000, spansPerReq: 3 });
  const load = {
    bare: { users: route(0), meta: meta(0) },
    agent: { users: route(agentCpu, ratio), meta: meta(rss) },
    agent0: { users: route(agent0Cpu, 0.95), meta: meta(5) },
    ddtrace: { users: route(ddCpu, 0.5), meta: meta(20) },
  };
  for (const id of without) delete load[id];
  return { load, startup: { bare: { ms: 200, addedMs: 0 }, agent: { ms: 200 + startupMs, addedMs: startupMs } }, failures, exportFailures };
}
const resultOf = (rows, goalStart, major) => rows.find((r) => r.goal.startsWith(goalStart)).cells[major].result;

describe('bench goal rows', () => {
  it('PASS when every goal is met, on both Node versions', () => {
    const rows = goalRows([
      { major: '24', A: analysis() },
      { major: '20', A: analysis() },
    ]);
    for (const r of rows) for (const major of ['24', '20']) expect(r.cells[major].result, `${r.goal} on ${major}`).to.equal('PASS');
  });
  it('MISS for each goal just over its threshold', () => {
    const A = analysis({ agentCpu: 41, ddCpu: 100, agent0Cpu: 3.1, ratio: 0.59, rss: 15.1, startupMs: 101 });
    const rows = goalRows([{ major: '24', A }]);
    for (const r of rows) expect(r.cells['24'].result, r.goal).to.equal('MISS');
  });
  it('judges throughput against 0.60x on Node 24 and 0.75x on Node 20', () => {
    const rows = goalRows([
      { major: '24', A: analysis({ ratio: 0.7 }) },
      { major: '20', A: analysis({ ratio: 0.7 }) },
    ]);
    expect(resultOf(rows, 'throughput', '24')).to.equal('PASS');
    expect(resultOf(rows, 'throughput', '20')).to.equal('MISS');
  });
  it('INVALID when dd-trace exported nothing or our agent did not start, never PASS', () => {
    const rows = goalRows([
      { major: '24', A: analysis({ exportFailures: { ddtrace: 'dd-trace exported nothing' } }) },
      { major: '20', A: analysis({ failures: { agent: 'boom' } }) },
    ]);
    expect(resultOf(rows, 'added CPU', '24')).to.match(/^INVALID/);
    expect(resultOf(rows, 'throughput', '24')).to.equal('PASS'); // does not depend on dd-trace
    for (const r of rows.filter((x) => !x.goal.startsWith('unsampled'))) expect(r.cells['20'].result, r.goal).to.match(/^INVALID/);
  });
  it('n/a when a variant the goal needs did not run', () => {
    const rows = goalRows([{ major: '24', A: analysis({ without: ['ddtrace', 'agent0'] }) }]);
    expect(resultOf(rows, 'added CPU', '24')).to.equal('n/a');
    expect(resultOf(rows, 'unsampled', '24')).to.equal('n/a');
  });
  it('the side-by-side table has one column per variant and the added CPU in each cell', () => {
    const A = analysis();
    const t = peerTable(
      [{ major: '24', version: 'Node 24.1.0', A }],
      [
        { id: 'bare', label: 'bare' },
        { id: 'agent', label: 'agent', receiver: 'otlp' },
        { id: 'ddtrace', label: 'dd', receiver: 'datadog' },
      ],
    );
    expect(t.cols.map((c) => c.title)).to.deep.equal(['Node / figure', 'bare', 'agent', 'dd']);
    expect(t.rows[0]).to.deep.equal(['Node 24.1.0: CPU µs/request (added)', '20', '60 (+40)', '120 (+100)']);
  });
});
