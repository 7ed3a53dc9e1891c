#!/usr/bin/env node
'use strict';
/**
 * Where the time goes: runs one variant of the bench app under `node --cpu-prof` with a short load,
 * then summarizes the main thread's .cpuprofile (self time per function and per package, top N), under
 * load and from spawn to listening. With --baseline (default: bare) the same is done for the baseline
 * variant and the packages are compared in µs of main-thread self time per request.
 * (`npm run bench` runs the same comparison for each Node version into BENCHMARKS.md.)
 *
 *   node bench/profile.js [--variant=agent] [--baseline=bare|none] [--path=/users/42] [--duration=8] [--top=15]
 *                         [--warmup=2] [--rate=N]  (N requests/s over 10 connections in the measured window: unsaturated)
 *                         [--functions]  (also: the functions whose self time per request grew most over the baseline)
 *                         [--agent-register=PATH] [--node=PATH-or-major, e.g. --node=24]
 *   node bench/profile.js --summarize=FILE.cpuprofile [--top=15]
 *
 * Profiles go to .tmp/cpuprof/<time>/ (git-ignored). For agent variants the export worker is profiled
 * too (bench/lib/profile-worker.js, preloaded before the agent, adds --cpu-prof to its execArgv) and
 * summarized over the same load window.
 */
const path = require('node:path');
const { spawnListening, stop, installCleanup } = require('./lib/proc');
const { variants, ROOT } = require('./lib/variants');
const { textTable } = require('./lib/table');
const { summarize, profileVariant, workerWindow, selfTimes, componentRows, functionDeltaRows } = require('./lib/cpuprofile');
const { nodeBinaryOf } = require('./lib/node-versions');

const argv = process.argv.slice(2);
const opt = (name, d) => {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? d : hit.slice(name.length + 3);
};
const flag = (name) => argv.includes(`--${name}`);

async function profileRun() {
  installCleanup();
  const top = Number(opt('top', 15));
  const routePath = opt('path', '/users/42');
  const duration = Number(opt('duration', 8));
  const agentRegister = path.resolve(opt('agent-register', path.join(ROOT, 'build', 'register.js')));
  const execPath = opt('node') ? nodeBinaryOf(opt('node')) : process.execPath;
  const dir = path.join(ROOT, '.tmp', 'cpuprof', new Date().toISOString().replace(/[:.]/g, '-'));

  const receiver = await spawnListening({ script: path.join(__dirname, 'receiver-process.js'), ipc: true });
  const upstream = await spawnListening({ script: path.join(__dirname, 'apps', 'upstream-server.js') });
  const [datadog, apm] = receiver.fields[1].split('|');
  const all = variants({ receivers: { otlp: receiver.fields[0], datadog, apm }, agentRegister });
  const pick = (id) => {
    const v = all.find((x) => x.id === id);
    if (!v) throw new Error(`unknown variant ${id}; one of ${all.map((x) => x.id).join(', ')}`);
    return v;
  };
  const target = pick(opt('variant', 'agent'));
  const baselineId = opt('baseline', 'bare');
  const baseline = baselineId === 'none' || baselineId === target.id ? undefined : pick(baselineId);
  const warmSec = Number(opt('warmup', 2));
  const rate = opt('rate') ? Number(opt('rate')) : undefined;
  console.log(
    `profiling on ${routePath} with ${execPath}: ${warmSec} s warm-up + ${duration} s load${rate ? ` at ${rate} req/s` : ''} per variant; profiles in ${path.relative(ROOT, dir)}`,
  );
  const ctx = {
    routePath,
    duration,
    warmSec,
    rate,
    dir,
    upstreamUrl: `http://127.0.0.1:${upstream.fields[0]}/`,
    execPath,
  };
  const runs = [];
  try {
    if (baseline) runs.push(await profileVariant(baseline, ctx));
    runs.push(await profileVariant(target, ctx));
  } finally {
    receiver.child.disconnect();
    await Promise.all([stop(upstream.child, 0), stop(receiver.child, 2000)]);
  }
  for (const r of runs) console.log(`${r.v.label}: ${r.rps.toFixed(0)} req/s, exact p50 ${r.exactP50.toFixed(2)} ms, ${r.requests} requests`);
  const t = runs[runs.length - 1];
  if (!t.file) return console.log('no main-thread .cpuprofile written');
  // Windows are measured from spawn; the profile starts a little after spawn, so they are approximate.
  console.log(`\n${summarize(t.file, top, { fromMs: t.fromMs, toMs: t.toMs }, `[${t.v.label}: main thread under load] `)}`);
  console.log(`\n${summarize(t.file, top, { fromMs: 0, toMs: t.listenMs }, `[${t.v.label}: main thread, spawn -> listening] `)}`);
  if (t.workerFile) {
    const window = workerWindow(t);
    console.log(`\n${summarize(t.workerFile, top, window, `[${t.v.label}: export worker under load] `)}`);
    const w = selfTimes(t.workerFile, window);
    console.log(`export worker: ${(w.busy / t.requests).toFixed(1)} µs of CPU per request under load`);
  }
  const b = baseline && runs[0];
  if (b && b.file) {
    const rows = componentRows(b, t, top).map((r) => [r.component, r.baseline.toFixed(1), r.target.toFixed(1), (r.delta >= 0 ? '+' : '') + r.delta.toFixed(1)]);
    printDeltaTable(`self time per request under load, by package: ${b.v.label} vs ${t.v.label}`, 'package / area', b, t, rows);
    if (flag('functions')) {
      const fnRows = functionDeltaRows(b, t, top).map((r) => [
        r.fn,
        r.baseline.toFixed(2),
        r.target.toFixed(2),
        (r.delta >= 0 ? '+' : '') + r.delta.toFixed(2),
      ]);
      printDeltaTable(`self time per request under load, by function: ${b.v.label} vs ${t.v.label}, largest growth first`, 'function', b, t, fnRows);
    }
  }
}

/** A baseline-vs-target table: [name, baseline µs/req, target µs/req, delta] rows under a title. */
function printDeltaTable(title, firstColumn, baselineRun, targetRun, rows) {
  const columns = [
    { title: firstColumn, align: 'left' },
    { title: `${baselineRun.v.id} µs/req`, align: 'right' },
    { title: `${targetRun.v.id} µs/req`, align: 'right' },
    { title: 'delta', align: 'right' },
  ];
  console.log(`\n[${title}]\n${textTable(columns, rows)}`);
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
