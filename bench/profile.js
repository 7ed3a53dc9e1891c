#!/usr/bin/env node
'use strict';
/**
 * Where the time goes: runs one variant of the bench app under `node --cpu-prof` with a short load,
 * then summarizes the main thread's .cpuprofile (self time per function and per package, top N), under
 * load and from spawn to listening. With --baseline (default: bare) the same is done for the baseline
 * variant and the packages are compared in µs of main-thread self time per request.
 *
 *   node bench/profile.js [--variant=agent] [--baseline=bare|none] [--path=/users/42] [--duration=8] [--top=15]
 *                         [--agent-register=PATH]
 *   node bench/profile.js --summarize=FILE.cpuprofile [--top=15]
 *
 * Profiles go to .tmp/cpuprof/<time>/ (git-ignored). For agent variants the export worker is profiled
 * too (bench/lib/profile-worker.js, preloaded before the agent, adds --cpu-prof to its execArgv) and
 * summarized over the same load window.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnListening, stop, sleep, installCleanup } = require('./lib/proc');
const { variants, ROOT } = require('./lib/variants');
const { runLoad } = require('./lib/load');
const { textTable } = require('./lib/table');

const argv = process.argv.slice(2);
const opt = (name, d) => {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? d : hit.slice(name.length + 3);
};

function packageOf(url) {
  if (url.startsWith('node:')) return 'node: core';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.replace(/\\/g, '/'));
  if (m) return m[1];
  if (/\/build\/(src\/|register)/.test(url)) return 'our agent (build/)';
  if (url.includes('/bench/')) return 'bench app';
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
    const url = callFrame.url ? callFrame.url.replace(/^file:\/\//, '') : '';
    const short = url.replace(ROOT + '/', '').replace(/^\.tmp\/bench\/snapshot\//, '');
    const key = short ? `${name}  ${short}:${callFrame.lineNumber + 1}` : name;
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
  const w = window.fromMs || window.toMs ? `, window ${Math.round(window.fromMs || 0)}-${Number.isFinite(window.toMs) ? Math.round(window.toMs) : 'end'} ms` : '';
  return [
    `${title}${path.relative(process.cwd(), file)}${w}: ${(t.busy / 1000).toFixed(0)} ms busy, ${(t.idle / 1000).toFixed(0)} ms idle`,
    textTable(cols3('function  file:line'), topRows(t.fns, t.busy, top)),
    '',
    textTable(cols3('package / area'), topRows(t.pkgs, t.busy, top)),
  ].join('\n');
}

async function profileVariant(v, { routePath, duration, dir, upstreamUrl }) {
  const vdir = path.join(dir, v.id);
  fs.mkdirSync(vdir, { recursive: true });
  const workerPreload = v.agent ? ['-r', path.join(__dirname, 'lib', 'profile-worker.js')] : [];
  const app = await spawnListening({
    script: path.join(__dirname, 'apps', 'express-app.js'),
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${vdir}`, ...workerPreload, ...v.nodeArgs],
    env: { ...v.env, BENCH_EXIT_ON_SIGTERM: '1', BENCH_UPSTREAM_URL: upstreamUrl, ...(v.agent ? { BENCH_WORKER_PROF_DIR: vdir } : {}) },
    timeoutMs: 30_000,
  });
  const base = `http://127.0.0.1:${app.fields[0]}`;
  const sinceSpawn = () => Number(process.hrtime.bigint() - app.t0) / 1e6;
  await runLoad({ url: base, path: routePath, connections: 10, durationSec: 2 });
  const fromMs = sinceSpawn();
  const res = await runLoad({ url: base, path: routePath, connections: 10, durationSec: duration });
  const toMs = sinceSpawn();
  await stop(app.child, 15_000); // the app exits(0) on SIGTERM, so the profile is written
  await sleep(300);
  // The main thread's file has thread id 0: CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile
  const main = fs.readdirSync(vdir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const worker = fs.readdirSync(vdir).find((f) => /\.\d+\.[1-9]\d*\.\d+\.cpuprofile$/.test(f));
  console.log(`${v.label}: ${res.rps.toFixed(0)} req/s, exact p50 ${res.exactP50.toFixed(2)} ms, ${res.total} requests`);
  return { v, file: main && path.join(vdir, main), workerFile: worker && path.join(vdir, worker), fromMs, toMs, listenMs: app.ms, requests: res.total };
}

async function profileRun() {
  installCleanup();
  const top = Number(opt('top', 15));
  const routePath = opt('path', '/users/42');
  const duration = Number(opt('duration', 8));
  const agentRegister = path.resolve(opt('agent-register', path.join(ROOT, 'build', 'register.js')));
  const dir = path.join(ROOT, '.tmp', 'cpuprof', new Date().toISOString().replace(/[:.]/g, '-'));

  const receiver = await spawnListening({ script: path.join(__dirname, 'receiver-process.js'), ipc: true });
  const upstream = await spawnListening({ script: path.join(__dirname, 'apps', 'upstream-server.js') });
  const all = variants({ receiverUrl: receiver.fields[0], agentRegister });
  const pick = (id) => {
    const v = all.find((x) => x.id === id);
    if (!v) throw new Error(`unknown variant ${id}; one of ${all.map((x) => x.id).join(', ')}`);
    return v;
  };
  const target = pick(opt('variant', 'agent'));
  const baselineId = opt('baseline', 'bare');
  const baseline = baselineId === 'none' || baselineId === target.id ? undefined : pick(baselineId);
  console.log(`profiling on ${routePath}: 2 s warm-up + ${duration} s load per variant; profiles in ${path.relative(ROOT, dir)}`);
  const ctx = { routePath, duration, dir, upstreamUrl: `http://127.0.0.1:${upstream.fields[0]}/` };
  const runs = [];
  try {
    if (baseline) runs.push(await profileVariant(baseline, ctx));
    runs.push(await profileVariant(target, ctx));
  } finally {
    receiver.child.disconnect();
    await Promise.all([stop(upstream.child, 0), stop(receiver.child, 2000)]);
  }
  const t = runs[runs.length - 1];
  if (!t.file) return console.log('no main-thread .cpuprofile written');
  // Windows are measured from spawn; the profile starts a little after spawn, so they are approximate.
  console.log(`\n${summarize(t.file, top, { fromMs: t.fromMs, toMs: t.toMs }, `[${t.v.label}: main thread under load] `)}`);
  console.log(`\n${summarize(t.file, top, { fromMs: 0, toMs: t.listenMs }, `[${t.v.label}: main thread, spawn -> listening] `)}`);
  if (t.workerFile) {
    // Both profiles' startTime come from the same monotonic clock: shift the load window onto the worker's.
    const startOf = (file) => JSON.parse(fs.readFileSync(file, 'utf8')).startTime;
    const shiftMs = (startOf(t.file) - startOf(t.workerFile)) / 1000;
    const window = { fromMs: t.fromMs + shiftMs, toMs: t.toMs + shiftMs };
    console.log(`\n${summarize(t.workerFile, top, window, `[${t.v.label}: export worker under load] `)}`);
    const w = selfTimes(t.workerFile, window);
    console.log(`export worker: ${(w.busy / t.requests).toFixed(1)} µs of CPU per request under load`);
  }

  const b = baseline && runs[0];
  if (b && b.file) {
    const perReq = (r) => {
      const s = selfTimes(r.file, { fromMs: r.fromMs, toMs: r.toMs });
      const m = new Map([...s.pkgs].map(([k, us]) => [k, us / r.requests]));
      m.set('TOTAL (main thread busy)', s.busy / r.requests);
      return m;
    };
    const bt = perReq(b);
    const tt = perReq(t);
    const keys = [...new Set([...bt.keys(), ...tt.keys()])];
    const rows = keys
      .map((k) => [k, bt.get(k) || 0, tt.get(k) || 0])
      .sort((x, y) => y[2] - y[1] - (x[2] - x[1]))
      .slice(0, top + 1)
      .map(([k, bv, tv]) => [k, bv.toFixed(1), tv.toFixed(1), (tv - bv >= 0 ? '+' : '') + (tv - bv).toFixed(1)]);
    console.log(
      `\n[main-thread self time per request under load, by package: ${b.v.label} vs ${t.v.label}]\n` +
        textTable(
          [
            { title: 'package / area', align: 'left' },
            { title: `${b.v.id} µs/req`, align: 'right' },
            { title: `${t.v.id} µs/req`, align: 'right' },
            { title: 'delta', align: 'right' },
          ],
          rows,
        ),
    );
  }
}

if (opt('summarize')) {
  console.log(summarize(path.resolve(opt('summarize')), Number(opt('top', 15))));
} else {
  profileRun().catch((err) => {
    console.error(err && err.stack ? err.stack : err);
    process.exitCode = 1;
    require('./lib/proc').killAll();
  });
}
