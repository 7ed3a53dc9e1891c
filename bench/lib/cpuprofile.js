'use strict';
/**
 * Where the time goes: run one variant of the bench app under `node --cpu-prof` (and, for our agent,
 * its export worker too) with a short load, and summarize the .cpuprofile files: self time per
 * function and per package (our agent: per module of build/src), over the load window.
 * Used by bench/profile.js (CLI) and by bench/run.js (the profile section of BENCHMARKS.md).
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnListening, stop, sleep } = require('./proc');
const { runLoad } = require('./load');
const { settle } = require('./cpu');
const { textTable } = require('./table');

const ROOT = path.resolve(__dirname, '..', '..');

/** The agent's bundles (scripts/bundle-agent.js): the startup one and the export worker's, both in build/. */
const BUNDLE_FILE = /\/build\/(?:agent-bundle|export-worker-bundle)\.js$/;

/**
 * Where each module starts in one of the agent's bundles:
 * esbuild writes a `// build/src/x.js` or `// node_modules/pkg/...` line before each module's code.
 * Sorted [0-based line, path] pairs per bundle file, read once.
 */
const bundleModules = new Map();
function bundleModuleAt(file, line) {
  let starts = bundleModules.get(file);
  if (starts === undefined) {
    starts = [];
    try {
      fs.readFileSync(file, 'utf8')
        .split('\n')
        .forEach((text, i) => {
          const m = /^\/\/ ((?:build\/src|node_modules)\/\S+\.(?:c?js|json))$/.exec(text);
          if (m) starts.push([i, m[1]]);
        });
    } catch {
      // not readable any more: the bundle's functions stay under its own name
    }
    bundleModules.set(file, starts);
  }
  let found;
  for (const [start, module] of starts) {
    if (start > line) break;
    found = module;
  }
  return found;
}

/** The module a function of the bundle comes from (its path as it was before bundling), else undefined. */
function unbundledPathOf(url, line) {
  const norm = url.replace(/\\/g, '/');
  const bundle = BUNDLE_FILE.exec(norm);
  if (bundle === null) return undefined;
  const module = bundleModuleAt(url, line);
  // build/src/x.js beside the bundle's build/; node_modules/pkg/... of the project the build is in
  return module === undefined ? undefined : norm.slice(0, bundle.index + '/build/'.length) + module.replace(/^build\//, '');
}

/** The component a function belongs to: a package, one of our modules, node core, or the bench app. */
function packageOf(url, line = 0) {
  if (url.startsWith('node:')) return 'node: core';
  const unbundled = unbundledPathOf(url, line);
  if (unbundled !== undefined) return packageOf(unbundled);
  const norm = url.replace(/\\/g, '/');
  const m = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(norm);
  if (m) return m[1];
  const ours = /\/build\/(?:src\/(.*)\.js|(register)\.js)$/.exec(norm);
  if (ours) return `agent: ${ours[1] || ours[2]}`;
  if (norm.includes('/bench/')) return 'bench app';
  return url;
}

/** Self time (µs) per function and per package for samples in [fromMs, toMs) since the profile start. */
function selfTimes(file, { fromMs = 0, toMs = Infinity } = {}) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const { samples = [], timeDeltas = [] } = profile;
  let at = 0;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] || 0;
    if (at / 1000 < fromMs || at / 1000 >= toMs) continue;
    const dt = timeDeltas[i + 1] !== undefined ? timeDeltas[i + 1] : 0; // time until the next sample
    self.set(samples[i], (self.get(samples[i]) || 0) + Math.max(0, dt));
  }
  const fns = new Map();
  const pkgs = new Map();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    const name = callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    const bundled = callFrame.url ? callFrame.url.replace(/^file:\/\//, '') : '';
    // A function of a bundle is shown as from the module it was bundled from.
    const url = (bundled && unbundledPathOf(bundled, callFrame.lineNumber)) || bundled;
    const short = url
      .replace(ROOT + '/', '')
      .replace(/^\.tmp\/bench\/snapshot\//, '')
      .replace(/^.*node_modules\//, '');
    const key = short ? `${name}  ${short}${url === bundled ? `:${callFrame.lineNumber + 1}` : ' (bundled)'}` : name;
    fns.set(key, (fns.get(key) || 0) + us);
    const pkg = url ? packageOf(url) : name.startsWith('(') ? name : '(native: ' + name + ')';
    pkgs.set(pkg, (pkgs.get(pkg) || 0) + us);
  }
  return { fns, pkgs, busy, idle };
}

const cols3 = (third) => [
  { title: 'self ms', align: 'right' },
  { title: 'share', align: 'right' },
  { title: third, align: 'left' },
];
function topRows(map, total, top) {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, us]) => [(us / 1000).toFixed(1), ((100 * us) / total).toFixed(1) + '%', k]);
}

function summarize(file, top, window = {}, title = '') {
  const t = selfTimes(file, window);
  const w =
    window.fromMs || window.toMs ? `, window ${Math.round(window.fromMs || 0)}-${Number.isFinite(window.toMs) ? Math.round(window.toMs) : 'end'} ms` : '';
  return [
    `${title}${path.relative(process.cwd(), file)}${w}: ${(t.busy / 1000).toFixed(0)} ms busy, ${(t.idle / 1000).toFixed(0)} ms idle`,
    textTable(cols3('function  file:line'), topRows(t.fns, t.busy, top)),
    '',
    textTable(cols3('package / area'), topRows(t.pkgs, t.busy, top)),
  ].join('\n');
}

/**
 * Runs variant `v` under --cpu-prof: warmSec of load, then durationSec measured (at `rate` requests
 * per second over all connections when given: an unsaturated app, whose profile is its own CPU and
 * not time stretched by contention for the 2 cores with the load generator). Resolves
 * { v, file, workerFile, fromMs, toMs, listenMs, requests, rps }.
 */
async function profileVariant(v, { routePath, duration, warmSec = 2, rate, dir, upstreamUrl, execPath }) {
  const vdir = path.join(dir, v.id);
  fs.mkdirSync(vdir, { recursive: true });
  const workerPreload = v.agent ? ['-r', path.join(__dirname, 'profile-worker.js')] : [];
  const app = await spawnListening({
    script: path.join(__dirname, '..', 'apps', 'express-app.js'),
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${vdir}`, ...workerPreload, ...v.nodeArgs],
    env: { ...v.env, BENCH_EXIT_ON_SIGTERM: '1', BENCH_UPSTREAM_URL: upstreamUrl, ...(v.agent ? { BENCH_WORKER_PROF_DIR: vdir } : {}) },
    timeoutMs: 30_000,
    execPath,
  });
  const base = `http://127.0.0.1:${app.fields[0]}`;
  const sinceSpawn = () => Number(process.hrtime.bigint() - app.t0) / 1e6;
  await runLoad({ url: base, path: routePath, connections: 10, durationSec: warmSec });
  await settle(app.child.pid); // start-up and warm-up work (the export worker loading its exporter) stays out of the window
  const fromMs = sinceSpawn();
  const res = await runLoad({ url: base, path: routePath, connections: 10, durationSec: duration, overallRate: rate });
  const toMs = sinceSpawn();
  await stop(app.child, 15_000); // the app exits(0) on SIGTERM, so the profile is written
  await sleep(300);
  // The main thread's file has thread id 0: CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile
  const main = fs.readdirSync(vdir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const worker = fs.readdirSync(vdir).find((f) => /\.\d+\.[1-9]\d*\.\d+\.cpuprofile$/.test(f));
  return {
    v,
    file: main && path.join(vdir, main),
    workerFile: worker && path.join(vdir, worker),
    fromMs,
    toMs,
    listenMs: app.ms,
    requests: res.total,
    rps: res.rps,
    exactP50: res.exactP50,
  };
}

/** The export worker's load window, shifted onto its own profile's clock (both start from one monotonic clock). */
function workerWindow(run) {
  const startOf = (file) => JSON.parse(fs.readFileSync(file, 'utf8')).startTime;
  const shiftMs = (startOf(run.file) - startOf(run.workerFile)) / 1000;
  return { fromMs: run.fromMs + shiftMs, toMs: run.toMs + shiftMs };
}

/** Main-thread self time per request (µs) by package over the load window, plus 'TOTAL (main thread busy)'. */
function perRequestByPackage(run) {
  const s = selfTimes(run.file, { fromMs: run.fromMs, toMs: run.toMs });
  const m = new Map([...s.pkgs].map(([k, us]) => [k, us / run.requests]));
  m.set('TOTAL (main thread busy)', s.busy / run.requests);
  return m;
}

/**
 * Rows [component, baseline µs/req, target µs/req, delta] sorted by delta (largest first), top N,
 * plus the export worker's µs/req when profiled. What the target adds over the baseline, by component.
 */
function componentRows(baselineRun, targetRun, top) {
  const bt = perRequestByPackage(baselineRun);
  const tt = perRequestByPackage(targetRun);
  const keys = [...new Set([...bt.keys(), ...tt.keys()])];
  const rows = keys
    .map((k) => [k, bt.get(k) || 0, tt.get(k) || 0])
    .sort((x, y) => y[2] - y[1] - (x[2] - x[1]))
    .slice(0, top + 1)
    .map(([k, bv, tv]) => ({ component: k, baseline: bv, target: tv, delta: tv - bv }));
  if (targetRun.workerFile) {
    const w = selfTimes(targetRun.workerFile, workerWindow(targetRun));
    rows.push({
      component: 'export worker thread (all of it)',
      baseline: 0,
      target: w.busy / targetRun.requests,
      delta: w.busy / targetRun.requests,
      worker: w,
    });
    // ... and what it spends that on (the hand-off's decoding, masking, encoding, the gRPC exporter).
    for (const [pkg, us] of [...w.pkgs].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
      rows.push({ component: `export worker: ${pkg}`, baseline: 0, target: us / targetRun.requests, delta: us / targetRun.requests });
    }
  }
  return rows;
}

/** Top self-time functions of the target's main thread under load: [{ fn, usPerReq, share }]. */
function topFunctions(run, top) {
  const s = selfTimes(run.file, { fromMs: run.fromMs, toMs: run.toMs });
  return [...s.fns.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, us]) => ({ fn, usPerReq: us / run.requests, share: us / s.busy }));
}

/** Main-thread functions whose self time per request under load grew most from baseline to target: [{ fn, baseline, target, delta }]. */
function functionDeltaRows(baselineRun, targetRun, top) {
  const perRequest = (run) => {
    const s = selfTimes(run.file, { fromMs: run.fromMs, toMs: run.toMs });
    return new Map([...s.fns].map(([fn, us]) => [fn, us / run.requests]));
  };
  const bt = perRequest(baselineRun);
  const tt = perRequest(targetRun);
  return [...new Set([...bt.keys(), ...tt.keys()])]
    .map((fn) => ({ fn, baseline: bt.get(fn) || 0, target: tt.get(fn) || 0 }))
    .map((r) => ({ ...r, delta: r.target - r.baseline }))
    .sort((x, y) => y.delta - x.delta)
    .slice(0, top);
}

module.exports = {
  packageOf,
  selfTimes,
  summarize,
  profileVariant,
  workerWindow,
  perRequestByPackage,
  componentRows,
  topFunctions,
  functionDeltaRows,
};
