'use strict';
/**
 * Issue 13's goal rows and the side-by-side peer table, computed from each Node version's analysis
 * (run.js's analyse()): every figure is a ratio or a difference within one run, never a hard-coded
 * number. A row whose variants did not run shows n/a; one whose variant did not export (or whose agent
 * did not start) shows INVALID instead of PASS/MISS.
 */

const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const signed = (x, fmt) => (Number.isFinite(x) ? (x >= 0 ? '+' : '') + fmt(x) : 'n/a');

/** Throughput goal on /users/:id by Node major (the issue sets 0.60x on 24 and 0.75x on 20). */
const THROUGHPUT_GOAL = { 24: 0.6, 20: 0.75 };

/**
 * The goals, each { id, name, threshold(major), measure(A) -> { value, shown, ids } , ok(value, major) }.
 * `ids`: the variants the figure depends on (their failures make the row INVALID).
 */
const GOALS = [
  {
    id: 'cpuVsDd',
    name: "added CPU per request at 100%, OTLP export (/users/:id), vs dd-trace's added CPU",
    threshold: () => '<= 0.40x',
    ok: (v) => v <= 0.4,
    measure: (A) => {
      const ours = addedCpu(A, 'agent');
      const dd = addedCpu(A, 'ddtrace');
      return { value: ours / dd, shown: `${f2(ours / dd)}x (+${f1(ours)} vs +${f1(dd)} µs)`, ids: ['agent', 'ddtrace'] };
    },
  },
  {
    id: 'throughput',
    name: 'throughput at 100% vs bare (/users/:id)',
    threshold: (major) => (THROUGHPUT_GOAL[major] ? `>= ${THROUGHPUT_GOAL[major].toFixed(2)}x` : 'n/a (no goal for this Node)'),
    ok: (v, major) => (THROUGHPUT_GOAL[major] ? v >= THROUGHPUT_GOAL[major] : undefined),
    measure: (A) => {
      const r = at(A, 'agent', 'users');
      return {
        value: r ? r.ratio : NaN,
        shown: r ? `${f2(r.ratio)}x (${r.ratioMin === r.ratioMax ? 'one round' : `rounds ${f2(r.ratioMin)}-${f2(r.ratioMax)}`})` : 'n/a',
        ids: ['agent'],
      };
    },
  },
  {
    id: 'unsampled',
    name: 'unsampled requests (TRACING_SAMPLE_RATE=0): added CPU per request (/users/:id)',
    threshold: () => '<= 3 µs',
    ok: (v) => v <= 3,
    measure: (A) => {
      const v = addedCpu(A, 'agent0');
      return { value: v, shown: `${signed(v, f1)} µs`, ids: ['agent0'] };
    },
  },
  {
    id: 'rss',
    name: 'RSS after load, added over bare (agent 100%)',
    threshold: () => '<= +15 MiB',
    ok: (v) => v <= 15,
    measure: (A) => {
      const v = addedRssAfter(A, 'agent');
      return { value: v, shown: `${signed(v, f1)} MiB`, ids: ['agent'] };
    },
  },
  {
    id: 'startup',
    name: 'startup added over bare (agent 100%, spawn -> listening)',
    threshold: () => '<= 100 ms',
    ok: (v) => v <= 100,
    measure: (A) => {
      const v = A.startup && A.startup.agent ? A.startup.agent.addedMs : NaN;
      return { value: v, shown: `${signed(v, f0)} ms`, ids: ['agent'] };
    },
  },
];

function at(A, id, route) {
  return A.load && A.load[id] ? A.load[id][route] : undefined;
}
/** Median over rounds of (variant's CPU µs/request - bare's in the same round), /users/:id. */
function addedCpu(A, id) {
  const r = at(A, id, 'users');
  return r ? r.addedCpuUs : NaN;
}
function addedRssAfter(A, id) {
  return A.load && A.load[id] ? A.load[id].meta.addedRssAfter : NaN;
}

/** [{ goal, threshold, cells: { [major]: { shown, result } } }] for the versions in `runs` ([{ major, A }]). */
function goalRows(runs) {
  return GOALS.map((g) => {
    const cells = {};
    for (const { major, A } of runs) {
      const m = g.measure(A);
      const invalid = m.ids.map((id) => A.failures[id] || (A.exportFailures || {})[id]).find(Boolean);
      const ok = Number.isFinite(m.value) ? g.ok(m.value, major) : undefined;
      cells[major] = {
        shown: Number.isFinite(m.value) ? m.shown : 'n/a',
        result: !Number.isFinite(m.value) ? 'n/a' : invalid ? `INVALID (${invalid})` : ok === undefined ? '-' : ok ? 'PASS' : 'MISS',
        threshold: g.threshold(major),
      };
    }
    return { goal: g.name, cells };
  });
}

/** Columns and rows of the goal table: goal, then per version threshold / measured / result. */
function goalTable(runs) {
  const rows = goalRows(runs);
  const cols = [{ title: 'goal', align: 'left' }];
  for (const { major } of runs)
    cols.push({ title: `Node ${major} goal`, align: 'left' }, { title: `Node ${major} measured`, align: 'right' }, { title: `Node ${major}`, align: 'left' });
  return {
    cols,
    rows: rows.map((r) => [r.goal, ...runs.flatMap(({ major }) => [r.cells[major].threshold, r.cells[major].shown, r.cells[major].result])]),
  };
}

/**
 * The issue's side-by-side table: one column per variant, one row per (Node version, figure).
 * Figures on /users/:id: CPU µs/request (added over bare), req/s vs bare; per variant over all its
 * routes: exported bytes and spans per request; RSS after load (added); startup added.
 */
function peerTable(runs, variantList) {
  const cols = [{ title: 'Node / figure', align: 'left' }, ...variantList.map((v) => ({ title: v.label, align: 'right' }))];
  const rows = [];
  for (const { version, A } of runs) {
    const cell = (fn) => variantList.map((v) => (A.load && A.load[v.id] ? fn(A.load[v.id], v) : 'n/a'));
    const label = (s) => `${version}: ${s}`;
    if (A.load) {
      rows.push([
        label('CPU µs/request (added)'),
        ...cell((L, v) => (v.id === 'bare' ? f0(L.users.cpuUs) : `${f0(L.users.cpuUs)} (${signed(L.users.addedCpuUs, f0)})`)),
      ]);
      rows.push([label('req/s vs bare'), ...cell((L) => f2(L.users.ratio))]);
      rows.push([
        label('exported bytes/request'),
        ...cell((L, v) =>
          v.receiver
            ? f0(L.meta.bytesPerReq) + (L.meta.decodedBytesPerReq > L.meta.bytesPerReq * 1.05 ? ` (${f0(L.meta.decodedBytesPerReq)} unzipped)` : '')
            : '-',
        ),
      ]);
      rows.push([label('spans/request'), ...cell((L, v) => (v.receiver ? f2(L.meta.spansPerReq) : '-'))]);
      rows.push([
        label('RSS after load MiB (added)'),
        ...cell((L, v) => (v.id === 'bare' ? f1(L.meta.rssAfter) : `${f1(L.meta.rssAfter)} (${signed(L.meta.addedRssAfter, f1)})`)),
      ]);
    }
    if (A.startup)
      rows.push([
        label('startup ms (added)'),
        ...variantList.map((v) =>
          A.startup[v.id] ? (v.id === 'bare' ? f0(A.startup[v.id].ms) : `${f0(A.startup[v.id].ms)} (${signed(A.startup[v.id].addedMs, f0)})`) : 'n/a',
        ),
      ]);
  }
  return { cols, rows };
}

module.exports = { GOALS, goalRows, goalTable, peerTable };
