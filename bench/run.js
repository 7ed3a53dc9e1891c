#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: bare app vs our agent vs upstream's auto-instrumentations register, one process
 * tree, variants interleaved, medians reported; prints the tables and writes BENCHMARKS.md.
 *
 *   node bench/run.js                 full run (3 rounds, 5 s on /users/:id, 3 s on /error and /fetch, 7 startup runs)
 *   node bench/run.js --quick         smoke check (1 round, 2 s per route, 3 startup runs); no BENCHMARKS.md
 *   node bench/run.js --only=startup|catalogue|load|micro   one part (comma-separate for several); no BENCHMARKS.md
 *                                     (catalogue: startup of a node:http app, whole catalogue vs http,express,undici)
 *   --write / --no-write              force / skip writing BENCHMARKS.md
 *   --rounds=N --duration=S --startup-runs=N --connections=N   overrides
 *   --agent-register=PATH             benchmark another build of the agent (default build/register.js)
 *   --no-snapshot                     use build/ in place (default: a copy of build/ taken at start, in .tmp/bench/,
 *                                     so a rebuild by someone else mid-run cannot change the agent under test)
 *
 * Needs a build (`npm run bench` builds first). Runs only on loopback, installs nothing.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnListening, stop, sleep, installCleanup, cleanEnv } = require('./lib/proc');
const { variants, roundOrder, agentStartFailure, ROOT } = require('./lib/variants');
const { runLoad, getJson } = require('./lib/load');
const { cpuOf, cpuDelta } = require('./lib/cpu');
const { median } = require('./lib/stats');
const { textTable, markdownTable } = require('./lib/table');

// ------------------------------------------------------------------ options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name) => {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : hit.slice(name.length + 3);
};
const known = ['quick', 'write', 'no-write', 'only', 'rounds', 'duration', 'startup-runs', 'connections', 'agent-register', 'no-snapshot', 'help'];
for (const a of argv) {
  const name = a.replace(/^--/, '').split('=')[0];
  if (!a.startsWith('--') || !known.includes(name)) {
    console.error(`bench: unknown argument ${a}\nusage: node bench/run.js [--quick] [--only=startup|catalogue|load|micro] [--write|--no-write]`);
    process.exit(2);
  }
}
if (flag('help')) {
  console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(2, 15).join('\n'));
  process.exit(0);
}
const quick = flag('quick');
const SECTIONS = ['startup', 'catalogue', 'load', 'micro'];
const only = opt('only') ? opt('only').split(',') : SECTIONS;
for (const s of only) {
  if (!SECTIONS.includes(s)) {
    console.error(`bench: --only takes ${SECTIONS.join('|')}, got "${s}"`);
    process.exit(2);
  }
}
const posInt = (v, d) => (v === undefined ? d : Math.max(1, parseInt(v, 10) || d));
const CFG = {
  rounds: posInt(opt('rounds'), quick ? 1 : 3),
  startupRuns: posInt(opt('startup-runs'), quick ? 3 : 7),
  connections: posInt(opt('connections'), 10),
  usersSec: opt('duration') ? Number(opt('duration')) : quick ? 2 : 5,
  otherSec: opt('duration') ? Number(opt('duration')) : quick ? 2 : 3,
  warmupSec: quick ? 1.5 : 2,
  // Open-loop latency: one connection at a fixed, light rate (well under any variant's capacity).
  openLoopRate: 100,
  openLoopSec: quick ? 1.5 : 3,
  idleMs: quick ? 300 : 500,
};
const writeReport = flag('write') || (!flag('no-write') && !quick && only.length === SECTIONS.length);
let agentRegister = path.resolve(opt('agent-register') || path.join(ROOT, 'build', 'register.js'));
// Directory holding build/ (for the receiver helper and the micro-benchmarks' modules).
let buildRoot = ROOT;

/**
 * Copies build/ and package.json to .tmp/bench/snapshot/ and points the run at the copy: other people
 * rebuild this tree while the bench runs, and a half-written build/ must not change the agent mid-run.
 * (Module resolution from the copy still finds node_modules/ by walking up to the repo root.)
 */
function snapshotBuild() {
  const dir = path.join(ROOT, '.tmp', 'bench', 'snapshot');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(ROOT, 'build'), path.join(dir, 'build'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  buildRoot = dir;
  agentRegister = path.join(dir, 'build', 'register.js');
}

const ROUTES = [
  { id: 'users', path: '/users/42', label: '/users/:id', expect: 200, sec: () => CFG.usersSec },
  { id: 'error', path: '/error', label: '/error (500)', expect: 500, sec: () => CFG.otherSec },
  { id: 'fetch', path: '/fetch', label: '/fetch (1 outgoing fetch)', expect: 200, sec: () => CFG.otherSec },
];
const OPEN_LOOP_ROUTES = ROUTES.filter((route) => route.id !== 'fetch');
const APP = path.join(__dirname, 'apps', 'express-app.js');
const MiB = 1024 * 1024;

function log(msg) {
  process.stdout.write(`${msg}\n`);
}

function requireBuilt() {
  const missing = [agentRegister, path.join(ROOT, 'build', 'test', 'helpers', 'receivers', 'index.js')].filter((f) => !fs.existsSync(f));
  if (missing.length) {
    console.error(`bench: not built (${missing.join(', ')} missing); run \`npx tsc -p tsconfig.json\` or \`npm run bench\``);
    process.exit(2);
  }
}

// ------------------------------------------------------------------ receiver (own process, IPC)
let receiver;
async function startReceiver() {
  const r = await spawnListening({
    script: path.join(__dirname, 'receiver-process.js'),
    ipc: true,
    timeoutMs: 20_000, // the receiver is test code, loaded once from build/test (it reads its .proto files from test/)
  });
  let seq = 0;
  receiver = {
    url: r.fields[0],
    child: r.child,
    stats() {
      const id = ++seq;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          r.child.off('message', onMsg);
          resolve({ spans: NaN, exports: NaN, names: {} });
        }, 3000);
        function onMsg(m) {
          if (m && m.type === 'stats' && m.id === id) {
            clearTimeout(timer);
            r.child.off('message', onMsg);
            resolve(m);
          }
        }
        r.child.on('message', onMsg);
        r.child.send({ type: 'stats', id });
      });
    },
  };
  return receiver;
}

// ------------------------------------------------------------------ startup
async function benchStartup(list) {
  const out = Object.fromEntries(list.map((v) => [v.id, []]));
  log(`\n== startup: ${CFG.startupRuns} interleaved runs x ${list.length} variants (spawn -> "LISTENING", RSS at listening)`);
  for (let run = 0; run < CFG.startupRuns; run++) {
    const line = [];
    for (const v of roundOrder(list, run)) {
      const app = await spawnListening({ script: APP, nodeArgs: v.nodeArgs, env: v.env, timeoutMs: 30_000 });
      await stop(app.child, 0);
      const failure = v.agent ? agentStartFailure(app.stderr()) : undefined;
      out[v.id].push({ ms: app.ms, rss: Number(app.fields[1]), failure });
      line.push(`${v.id} ${app.ms.toFixed(0)}ms`);
      await sleep(100);
    }
    log(`  run ${run + 1}/${CFG.startupRuns}: ${line.join('  ')}`);
  }
  return out;
}

// ------------------------------------------------------------------ catalogue startup
/**
 * What the lazy catalogue costs at startup: bench/apps/hello-app.js (node:http only, so it loads no
 * module of the catalogue) under the agent with its default (every instrumentation of upstream's
 * default set, loaded when its module is) vs with TRACING_INSTRUMENTATIONS=http,express,undici
 * (the three the agent loaded before the catalogue became the default). Target: within +15 ms.
 */
const CATALOGUE_VARIANTS = [
  { id: 'three', label: 'agent, TRACING_INSTRUMENTATIONS=http,express,undici', env: { TRACING_INSTRUMENTATIONS: 'http,express,undici' } },
  { id: 'catalogue', label: 'agent, default (whole catalogue, lazy)', env: {} },
];
async function benchCatalogueStartup(receiverUrl) {
  const out = Object.fromEntries(CATALOGUE_VARIANTS.map((v) => [v.id, []]));
  log(`\n== catalogue startup: ${CFG.startupRuns} interleaved runs x ${CATALOGUE_VARIANTS.length} variants of bench/apps/hello-app.js`);
  for (let run = 0; run < CFG.startupRuns; run++) {
    const line = [];
    for (const v of roundOrder(CATALOGUE_VARIANTS, run)) {
      const app = await spawnListening({
        script: path.join(__dirname, 'apps', 'hello-app.js'),
        nodeArgs: ['-r', agentRegister],
        env: { TRACING_EXPORTER: 'otlp', TRACING_ENDPOINT: receiverUrl, TRACING_SERVICE_NAME: 'bench', ...v.env },
        timeoutMs: 30_000,
      });
      await stop(app.child, 0);
      out[v.id].push({ ms: app.ms, rss: Number(app.fields[1]), failure: agentStartFailure(app.stderr()) });
      line.push(`${v.id} ${app.ms.toFixed(0)}ms`);
      await sleep(100);
    }
    log(`  run ${run + 1}/${CFG.startupRuns}: ${line.join('  ')}`);
  }
  return out;
}

// ------------------------------------------------------------------ load
async function benchLoad(list, upstreamUrl) {
  const out = Object.fromEntries(
    list.map((v) => [v.id, { routes: Object.fromEntries(ROUTES.map((r) => [r.id, []])), openLoop: Object.fromEntries(OPEN_LOOP_ROUTES.map((r) => [r.id, []])), meta: [] }]),
  );
  log(
    `\n== load: ${CFG.rounds} round(s) x ${list.length} variants, autocannon ${CFG.connections} connections, ` +
      `${CFG.usersSec}s /users/:id + ${CFG.otherSec}s /error + ${CFG.otherSec}s /fetch per variant (after ${CFG.warmupSec}s warm-up)`,
  );
  // Warm the load generator itself (autocannon's JIT, hdr wasm) against the bare upstream server,
  // so the first variant measured is not penalised by a cold client.
  await runLoad({ url: upstreamUrl, path: '', connections: CFG.connections, durationSec: quick ? 1 : 2 });
  await receiver.stats(); // zero the counters
  for (let round = 0; round < CFG.rounds; round++) {
    for (const v of roundOrder(list, round)) {
      const app = await spawnListening({ script: APP, nodeArgs: v.nodeArgs, env: { ...v.env, BENCH_UPSTREAM_URL: upstreamUrl }, timeoutMs: 30_000 });
      const base = `http://127.0.0.1:${app.fields[0]}`;
      let requests = 0;
      try {
        await sleep(CFG.idleMs);
        const rssIdle = (await getJson(`${base}/__rss`)).body.rss;
        const warm = await runLoad({ url: base, paths: ROUTES.map((r) => r.path), connections: CFG.connections, durationSec: CFG.warmupSec });
        requests += warm.total;
        const cells = [];
        for (const route of ROUTES) {
          const cpu0 = cpuOf(app.child.pid);
          const recv0 = cpuOf(receiver.child.pid);
          const res = await runLoad({ url: base, path: route.path, connections: CFG.connections, durationSec: route.sec() });
          const cpu = cpuDelta(cpu0, cpuOf(app.child.pid));
          const recvCpu = cpuDelta(recv0, cpuOf(receiver.child.pid));
          requests += res.total;
          // CPU µs per request: the app (all threads, and its main thread), and the bench's receiver
          res.cpuUs = cpu && res.total ? (cpu.totalMs * 1000) / res.total : NaN;
          res.mainCpuUs = cpu && res.total ? (cpu.mainMs * 1000) / res.total : NaN;
          res.receiverCpuUs = recvCpu && res.total ? (recvCpu.totalMs * 1000) / res.total : NaN;
          const expected = (res.statusCodeStats[route.expect] || { count: 0 }).count;
          res.unexpected = res.total > 0 ? 1 - expected / res.total : 1;
          if (!(res.rps > 0)) res.rps = res.total / route.sec();
          out[v.id].routes[route.id].push({ round, ...res });
          cells.push(`${route.id} ${res.rps.toFixed(0)}/s`);
        }
        // The same routes at a fixed light rate: each request's latency with no queue in front of it,
        // which is what "added latency" means (the closed-loop p50 above mostly mirrors throughput).
        for (const route of OPEN_LOOP_ROUTES) {
          const res = await runLoad({ url: base, path: route.path, connections: 1, durationSec: CFG.openLoopSec, overallRate: CFG.openLoopRate });
          requests += res.total;
          out[v.id].openLoop[route.id].push({ round, ...res });
        }
        const rssAfter = (await getJson(`${base}/__rss`)).body.rss;
        await stop(app.child, 1000);
        await sleep(300);
        const recv = await receiver.stats();
        const failure = v.agent ? agentStartFailure(app.stderr()) : undefined;
        out[v.id].meta.push({ round, rssIdle, rssAfter, spans: recv.spans, requests, spanNames: recv.names, failure, stderr: app.stderr().slice(0, 2000) });
        log(`  round ${round + 1}/${CFG.rounds} ${v.id.padEnd(9)} ${cells.join('  ')}  spans ${recv.spans}${failure ? '  AGENT DID NOT START' : ''}`);
      } finally {
        await stop(app.child, 0);
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------ micro (child process: clean heap)
async function benchMicro() {
  log(`\n== micro-benchmarks (in-process, in a child node process${quick ? ", --quick" : ""})`);
  const { spawn } = require('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'micro.js'), '--json', ...(quick ? ['--quick'] : [])], {
      env: cleanEnv({ BENCH_BUILD_DIR: path.join(buildRoot, 'build') }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()).results);
      } catch {
        resolve([{ id: 'micro', label: 'micro-benchmarks', na: `failed (exit ${code}): ${stderr.slice(0, 300)}` }]);
      }
    });
  });
}

// ------------------------------------------------------------------ report
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const signed = (x, fmt) => (Number.isFinite(x) ? (x >= 0 ? '+' : '') + fmt(x) : 'n/a');

function analyse(list, startup, load, micro, catalogue) {
  const A = { variants: list.map((v) => ({ id: v.id, label: v.label })), failures: {} };
  const noteFailure = (id, f) => {
    if (f) A.failures[id] = f;
  };
  if (load) {
    A.load = {};
    for (const v of list) {
      const L = load[v.id];
      A.load[v.id] = {};
      for (const route of ROUTES) {
        const runs = L.routes[route.id];
        const bareRuns = load.bare ? load.bare.routes[route.id] : [];
        const ratios = runs.map((r) => r.rps / (bareRuns.find((b) => b.round === r.round) || {}).rps).filter(Number.isFinite);
        const ratio = median(ratios);
        const addedP50 = median(runs.map((r) => r.exactP50 - (bareRuns.find((b) => b.round === r.round) || {}).exactP50));
        const cpuRatio = median(runs.map((r) => r.cpuUs / (bareRuns.find((b) => b.round === r.round) || {}).cpuUs));
        A.load[v.id][route.id] = {
          rps: median(runs.map((r) => r.rps)),
          ratio,
          ratioMin: ratios.length ? Math.min(...ratios) : NaN,
          ratioMax: ratios.length ? Math.max(...ratios) : NaN,
          p50: median(runs.map((r) => r.p50)),
          p99: median(runs.map((r) => r.p99)),
          exactP50: median(runs.map((r) => r.exactP50)),
          exactP99: median(runs.map((r) => r.exactP99)),
          addedP50,
          cpuUs: median(runs.map((r) => r.cpuUs)),
          mainCpuUs: median(runs.map((r) => r.mainCpuUs)),
          receiverCpuUs: median(runs.map((r) => r.receiverCpuUs)),
          cpuRatio,
          unexpected: Math.max(...runs.map((r) => r.unexpected)),
          errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0),
        };
      }
      A.load[v.id].openLoop = {};
      for (const route of OPEN_LOOP_ROUTES) {
        const runs = L.openLoop[route.id];
        const bareRuns = load.bare ? load.bare.openLoop[route.id] : [];
        const bareOf = (r) => bareRuns.find((b) => b.round === r.round) || {};
        A.load[v.id].openLoop[route.id] = {
          exactP50: median(runs.map((r) => r.exactP50)),
          exactP99: median(runs.map((r) => r.exactP99)),
          addedP50: median(runs.map((r) => r.exactP50 - bareOf(r).exactP50)),
          addedP99: median(runs.map((r) => r.exactP99 - bareOf(r).exactP99)),
        };
      }
      const spans = L.meta.reduce((s, m) => s + m.spans, 0);
      const reqs = L.meta.reduce((s, m) => s + m.requests, 0);
      A.load[v.id].meta = {
        rssIdle: median(L.meta.map((m) => m.rssIdle)) / MiB,
        rssAfter: median(L.meta.map((m) => m.rssAfter)) / MiB,
        spansPerReq: reqs ? spans / reqs : NaN,
        spanNames: L.meta.length ? L.meta[L.meta.length - 1].spanNames : {},
        stderr: [...new Set(L.meta.flatMap((m) => m.stderr.split('\n').filter(Boolean)))].slice(0, 4),
        roundsWithoutSpans: L.meta.filter((m) => v.exports && m.spans === 0).map((m) => m.round + 1),
      };
      noteFailure(v.id, L.meta.map((m) => m.failure).find(Boolean));
    }
    if (load.agent && load.upstream) {
      A.agentVsUpstream = median(
        load.agent.routes.users.map((r) => r.rps / (load.upstream.routes.users.find((u) => u.round === r.round) || {}).rps),
      );
    }
  }
  if (startup) {
    A.startup = {};
    const bareMs = median(startup.bare.map((s) => s.ms));
    const bareRss = median(startup.bare.map((s) => s.rss)) / MiB;
    for (const v of list) {
      const runs = startup[v.id];
      const ms = median(runs.map((s) => s.ms));
      const rss = median(runs.map((s) => s.rss)) / MiB;
      A.startup[v.id] = {
        ms,
        addedMs: ms - bareMs,
        min: Math.min(...runs.map((s) => s.ms)),
        max: Math.max(...runs.map((s) => s.ms)),
        rss,
        addedRss: rss - bareRss,
      };
      noteFailure(v.id, runs.map((s) => s.failure).find(Boolean));
    }
  }
  if (catalogue) {
    A.catalogue = {};
    for (const v of CATALOGUE_VARIANTS) {
      const runs = catalogue[v.id];
      A.catalogue[v.id] = {
        label: v.label,
        ms: median(runs.map((s) => s.ms)),
        min: Math.min(...runs.map((s) => s.ms)),
        max: Math.max(...runs.map((s) => s.ms)),
        rss: median(runs.map((s) => s.rss)) / MiB,
      };
      noteFailure(v.id, runs.map((s) => s.failure).find(Boolean));
    }
    A.catalogue.addedMs = A.catalogue.catalogue.ms - A.catalogue.three.ms;
  }
  if (micro) A.micro = micro;
  return A;
}

function tables(A) {
  const T = [];
  if (A.load) {
    const cols = [
      { title: 'route', align: 'left' },
      { title: 'variant', align: 'left' },
      { title: 'req/s', align: 'right' },
      { title: 'x bare', align: 'right' },
      { title: 'range', align: 'right' },
      { title: 'p50 ms', align: 'right' },
      { title: 'p99 ms', align: 'right' },
      { title: 'exact p50', align: 'right' },
      { title: 'exact p99', align: 'right' },
      { title: 'p50 vs bare', align: 'right' },
      { title: 'CPU µs/req', align: 'right' },
      { title: 'main thr', align: 'right' },
      { title: 'CPU x bare', align: 'right' },
    ];
    const rows = [];
    for (const route of ROUTES) {
      for (const v of A.variants) {
        const r = A.load[v.id][route.id];
        rows.push([
          rows.length % A.variants.length === 0 ? route.label : '',
          v.label + (A.failures[v.id] ? ' (!)' : '') + (r.unexpected > 0.01 ? ` [${(r.unexpected * 100).toFixed(0)}% unexpected status]` : ''),
          f0(r.rps),
          f2(r.ratio),
          r.ratioMin === r.ratioMax ? '' : `${f2(r.ratioMin)}-${f2(r.ratioMax)}`,
          f0(r.p50),
          f0(r.p99),
          f2(r.exactP50),
          f2(r.exactP99),
          v.id === 'bare' ? '' : signed(r.addedP50, f2),
          f0(r.cpuUs),
          f0(r.mainCpuUs),
          v.id === 'bare' ? '' : f2(r.cpuRatio),
        ]);
      }
    }
    T.push({
      title: 'Throughput and latency (medians over rounds; "x bare" = median of per-round ratios to bare, range = min-max over rounds; p50/p99 = autocannon, 1 ms resolution; exact = from per-response hrtime; CPU µs/req = the app process\'s CPU time (all threads; main thread) per request, from /proc)',
      cols,
      rows,
    });
    const orows = [];
    for (const route of OPEN_LOOP_ROUTES) {
      for (const v of A.variants) {
        const o = A.load[v.id].openLoop[route.id];
        orows.push([
          orows.length % A.variants.length === 0 ? route.label : '',
          v.label + (A.failures[v.id] ? ' (!)' : ''),
          f2(o.exactP50),
          f2(o.exactP99),
          v.id === 'bare' ? '' : signed(o.addedP50, f2),
          v.id === 'bare' ? '' : signed(o.addedP99, f2),
        ]);
      }
    }
    T.push({
      title: `Latency at a fixed light rate (open loop: 1 connection, ${CFG.openLoopRate} req/s, ${CFG.openLoopSec} s per variant and round; exact ms from per-response hrtime; medians over rounds of the per-round difference to bare)`,
      cols: [
        { title: 'route', align: 'left' },
        { title: 'variant', align: 'left' },
        { title: 'p50 ms', align: 'right' },
        { title: 'p99 ms', align: 'right' },
        { title: 'p50 vs bare', align: 'right' },
        { title: 'p99 vs bare', align: 'right' },
      ],
      rows: orows,
    });
    const mcols = [
      { title: 'variant', align: 'left' },
      { title: 'spans/request', align: 'right' },
      { title: 'RSS idle (MiB)', align: 'right' },
      { title: 'RSS after load (MiB)', align: 'right' },
      { title: 'receiver CPU µs/req (/users)', align: 'right' },
    ];
    T.push({
      title: `Per variant during the load runs (RSS ${CFG.idleMs} ms after listening, and after the load; spans received by the local OTLP gRPC receiver per request sent)`,
      cols: mcols,
      rows: A.variants.map((v) => {
        const m = A.load[v.id].meta;
        return [v.label, f2(m.spansPerReq), f1(m.rssIdle), f1(m.rssAfter), f0(A.load[v.id].users.receiverCpuUs)];
      }),
    });
  }
  if (A.startup) {
    T.push({
      title: `Startup (spawn -> "LISTENING", median of ${CFG.startupRuns} interleaved runs; RSS at listening)`,
      cols: [
        { title: 'variant', align: 'left' },
        { title: 'startup ms', align: 'right' },
        { title: 'added ms', align: 'right' },
        { title: 'min-max ms', align: 'right' },
        { title: 'RSS MiB', align: 'right' },
        { title: 'added MiB', align: 'right' },
      ],
      rows: A.variants.map((v) => {
        const s = A.startup[v.id];
        return [
          v.label + (A.failures[v.id] ? ' (!)' : ''),
          f0(s.ms),
          v.id === 'bare' ? '' : signed(s.addedMs, f0),
          `${f0(s.min)}-${f0(s.max)}`,
          f1(s.rss),
          v.id === 'bare' ? '' : signed(s.addedRss, f1),
        ];
      }),
    });
  }
  if (A.catalogue) {
    T.push({
      title: `Catalogue startup (bench/apps/hello-app.js, node:http only; spawn -> "LISTENING", median of ${CFG.startupRuns} interleaved runs)`,
      cols: [
        { title: 'variant', align: 'left' },
        { title: 'startup ms', align: 'right' },
        { title: 'min-max ms', align: 'right' },
        { title: 'RSS MiB', align: 'right' },
      ],
      rows: CATALOGUE_VARIANTS.map((v) => {
        const c = A.catalogue[v.id];
        return [c.label, f0(c.ms), `${f0(c.min)}-${f0(c.max)}`, f1(c.rss)];
      }),
    });
  }
  if (A.micro) {
    T.push({
      title: 'Micro-benchmarks (in-process, per operation, after warm-up)',
      cols: [
        { title: 'operation', align: 'left' },
        { title: 'p50 µs', align: 'right' },
        { title: 'p95 µs', align: 'right' },
        { title: 'mean µs', align: 'right' },
      ],
      rows: A.micro.map((m) =>
        m.na
          ? [m.label, m.na, '', '']
          : m.once !== undefined
            ? [m.label, `${f1(m.once)} (once)`, '', '']
            : [m.label + (m.note ? ` (! ${m.note})` : ''), f2(m.p50), f2(m.p95), f2(m.mean)],
      ),
    });
  }
  return T;
}

function targets(A) {
  const out = [];
  const fail = (ids) => ids.map((id) => A.failures[id]).find(Boolean);
  const add = (name, value, shown, threshold, ok, ids = []) => {
    const f = fail(ids);
    const result = !Number.isFinite(value) ? 'n/a' : f ? 'INVALID (agent did not start)' : ok(value) ? 'PASS' : 'MISS';
    out.push([name, Number.isFinite(value) ? shown : 'n/a', threshold, result]);
  };
  if (A.load) {
    add('agent 100%: /users/:id throughput vs bare', A.load.agent.users.ratio, `${f2(A.load.agent.users.ratio)}x`, '>= 0.80x', (v) => v >= 0.8, ['agent']);
    add('agent 100% vs upstream register: /users/:id throughput', A.agentVsUpstream, `${f2(A.agentVsUpstream)}x`, '>= 1.5x', (v) => v >= 1.5, ['agent']);
    add('TRACING_ENABLED=false: /users/:id throughput vs bare', A.load.disabled.users.ratio, `${f2(A.load.disabled.users.ratio)}x`, '>= 0.97x', (v) => v >= 0.97);
  }
  if (A.startup) {
    add('TRACING_ENABLED=false: startup added over bare', A.startup.disabled.addedMs, `${signed(A.startup.disabled.addedMs, f0)} ms`, '<= 10 ms', (v) => v <= 10);
    add('agent 100%: startup added over bare', A.startup.agent.addedMs, `${signed(A.startup.agent.addedMs, f0)} ms`, '<= 150 ms', (v) => v <= 150, ['agent']);
    add('agent 100%: RSS at listening added over bare', A.startup.agent.addedRss, `${signed(A.startup.agent.addedRss, f1)} MiB`, '<= 15 MiB', (v) => v <= 15, ['agent']);
  }
  if (A.catalogue) {
    add('whole catalogue (lazy) vs http,express,undici: startup of an app that loads none of it', A.catalogue.addedMs, `${signed(A.catalogue.addedMs, f0)} ms`, '<= 15 ms', (v) => v <= 15, ['three', 'catalogue']);
  }
  if (A.load) {
    // The export worker starts on the first timer turn after the app's main module, so RSS at
    // "listening" can miss it; 500 ms later it is always there. Judged here too, to be fair.
    const addedIdle = A.load.agent.meta.rssIdle - A.load.bare.meta.rssIdle;
    add('agent 100%: RSS 500 ms after listening (export worker running) added over bare', addedIdle, `${signed(addedIdle, f1)} MiB`, '<= 15 MiB', (v) => v <= 15, ['agent']);
  }
  if (A.micro) {
    const m = (id) => A.micro.find((x) => x.id === id) || {};
    add('traceparent extract + inject (p50)', m('traceparent').p50, `${f2(m('traceparent').p50)} µs`, '< 10 µs', (v) => v < 10);
    add('masked exception record (p95)', m('maskExc').p95, m('maskExc').na || `${f2(m('maskExc').p95)} µs`, '< 100 µs', (v) => v < 100);
  }
  if (A.load) {
    const open = A.load.agent.openLoop.error.addedP50;
    add(`error-path added latency, agent 100% (open loop, ${CFG.openLoopRate} req/s: exact p50 vs bare)`, open, `${signed(open, f2)} ms`, '< 1 ms', (v) => v < 1, ['agent']);
    const e = A.load.agent.error.addedP50;
    add('error-path p50 under saturating load, agent 100% (closed loop: mostly lost throughput)', e, `${signed(e, f2)} ms`, '< 1 ms', (v) => v < 1, ['agent']);
  }
  return out;
}

const TARGET_COLS = [
  { title: 'target', align: 'left' },
  { title: 'measured', align: 'right' },
  { title: 'threshold', align: 'left' },
  { title: 'result', align: 'left' },
];

function machine() {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0] ? cpus[0].model.trim() : 'unknown',
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}
function loadavgNow() {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

function commandLine() {
  const args = process.argv.slice(2).join(' ');
  return process.env.npm_lifecycle_event === 'bench' && !args ? 'npm run bench' : `node bench/run.js${args ? ' ' + args : ''}`;
}

function renderMarkdown(A, T, targetRows, M, elapsedSec) {
  const lines = [];
  lines.push('# Benchmarks', '');
  lines.push(
    `Generated by \`${commandLine()}\` (bench/run.js) on ${M.date}. Do not edit by hand: rerun \`npm run bench\`.`,
    '',
    `- Machine: ${M.cores} cores (${M.cpu}), ${M.platform}; load average (1/5/15 min) ${M.loadavg} at start, ${M.loadavgEnd} at end`,
    `- Node: ${M.node}`,
    `- Agent: \`${path.relative(ROOT, agentRegister) || agentRegister}\`${buildRoot !== ROOT ? ' (a copy of build/ taken when the run started)' : ''}; the run took ${elapsedSec.toFixed(0)} s`,
    '',
    'The machine is shared and noisy: compare the **ratios** (each measured against bare node in the same',
    'round of one interleaved run), not absolute times across runs.',
    '',
    '## Method',
    '',
    '- One process tree: the bench process runs autocannon (programmatic); the app (`bench/apps/express-app.js`,',
    '  express 5) runs in a child process; a bare node:http upstream (`bench/apps/upstream-server.js`) and the OTLP',
    '  gRPC receiver (the test receiver, `bench/receiver-process.js`) run in their own child processes. Loopback only.',
    `- Variants, interleaved (round r starts at variant r, so every variant takes every position): ${A.variants.map((v) => v.label).join(', ')}.`,
    '  Agent: `node -r build/register.js` with TRACING_EXPORTER=otlp, TRACING_ENDPOINT=<receiver>, TRACING_SERVICE_NAME=bench,',
    '  default batch settings (10% adds TRACING_SAMPLE_RATE=0.1; disabled sets TRACING_ENABLED=false). Upstream:',
    '  `node -r @opentelemetry/auto-instrumentations-node/register` with OTEL_TRACES_EXPORTER=otlp,',
    '  OTEL_EXPORTER_OTLP_PROTOCOL=grpc, OTEL_EXPORTER_OTLP_ENDPOINT=<receiver>, OTEL_METRICS_EXPORTER=none,',
    '  OTEL_LOGS_EXPORTER=none, OTEL_NODE_RESOURCE_DETECTORS=env,host,os,process (no cloud probes).',
    `- Load: per variant and round a fresh app, ${CFG.idleMs} ms idle, ${CFG.warmupSec} s warm-up over all routes, then autocannon`,
    `  with ${CFG.connections} connections: ${CFG.usersSec} s on /users/:id, ${CFG.otherSec} s on /error, ${CFG.otherSec} s on /fetch; ${CFG.rounds} rounds.`,
    '  req/s is autocannon\'s `requests.average`; p50/p99 are autocannon\'s (1 ms resolution); "exact" percentiles',
    '  come from each response\'s hrtime duration (autocannon\'s `response` event) and give the sub-ms error-path figure.',
    `- Startup: spawn -> the app's \`LISTENING <port> <rss>\` line, ${CFG.startupRuns} interleaved runs per variant, median.`,
    '- Catalogue startup: the same measure on `bench/apps/hello-app.js` (node:http only, loads no module of the catalogue),',
    '  agent default (whole catalogue, each instrumentation loaded at its module\'s first load) vs TRACING_INSTRUMENTATIONS=http,express,undici.',
    '- Micro-benchmarks: `bench/micro.js` in a child process, `process.hrtime.bigint()`, warm-up first.',
    '- Reading the figures: the load is closed-loop (a fixed number of connections, as fast as answered), so p50 is',
    '  roughly connections / throughput and its "added p50" mostly reflects lost throughput, not a fixed',
    `  per-request delay. The open-loop table (1 connection at ${CFG.openLoopRate} req/s) measures that delay: it is the one`,
    '  the error-path latency target is judged on. "CPU x bare" (CPU time per request, all threads of the app) is the least noise-sensitive',
    '  ratio on a shared machine; "range" shows how much the per-round throughput ratios moved.',
    '- Where the time goes: `node bench/profile.js` runs the agent variant under `node --cpu-prof` with a short load',
    '  and prints the top self-time entries (profiles in .tmp/cpuprof/).',
    '',
  );
  lines.push('## Targets', '', markdownTable(TARGET_COLS, targetRows), '');
  for (const t of T) lines.push(`## ${t.title.split(' (')[0]}`, '', `${t.title}.`, '', markdownTable(t.cols, t.rows), '');
  const notes = notesOf(A);
  if (notes.length) lines.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

function notesOf(A) {
  const notes = [];
  for (const [id, f] of Object.entries(A.failures)) {
    notes.push(`(!) ${id}: our agent printed "otel-agent: failed to start (${f.split('\n')[0]})": that variant measured an uninstrumented app.`);
  }
  if (A.load) {
    for (const v of A.variants) {
      for (const route of ROUTES) {
        const r = A.load[v.id][route.id];
        if (r.unexpected > 0.01) notes.push(`${v.label} ${route.label}: ${(r.unexpected * 100).toFixed(1)}% of responses were not ${route.expect}.`);
        if (r.errors > 0) notes.push(`${v.label} ${route.label}: ${r.errors} connection errors/timeouts.`);
      }
      const m = A.load[v.id].meta;
      if (v.exports && !(m.spansPerReq > 0)) notes.push(`${v.label}: the receiver got no spans.`);
      else if (m.roundsWithoutSpans.length) notes.push(`${v.label}: the receiver got no spans in round(s) ${m.roundsWithoutSpans.join(', ')}.`);
      if (m.stderr.length) notes.push(`${v.label} stderr: ${m.stderr.map((s) => '`' + s.slice(0, 160) + '`').join(' ')}`);
    }
  }
  return notes;
}

// ------------------------------------------------------------------ main
async function main() {
  installCleanup();
  requireBuilt();
  const snapshot = !flag('no-snapshot') && !opt('agent-register');
  if (snapshot) snapshotBuild();
  const started = Date.now();
  const M = machine();
  const perVariantLoad = CFG.idleMs / 1000 + CFG.warmupSec + CFG.usersSec + 2 * CFG.otherSec + OPEN_LOOP_ROUTES.length * CFG.openLoopSec + 1.5;
  const estimate =
    (only.includes('load') ? CFG.rounds * 5 * perVariantLoad : 0) + (only.includes('startup') ? CFG.startupRuns * 5 * 0.6 : 0) + (only.includes('catalogue') ? CFG.startupRuns * 2 * 0.5 : 0) + (only.includes('micro') ? (quick ? 3 : 12) : 0);
  log(`bench: ${M.cores} cores, node ${M.node}; parts: ${only.join(', ')}${quick ? ' (quick)' : ''}; about ${Math.ceil(estimate / 10) * 10} s`);
  log(`agent: ${path.relative(ROOT, agentRegister)}${snapshot ? ' (copy of build/ taken at start)' : ''}`);

  const needApps = only.includes('startup') || only.includes('catalogue') || only.includes('load');
  let upstream;
  let list;
  let startup;
  let load;
  let micro;
  let catalogue;
  if (needApps) {
    await startReceiver();
    list = variants({ receiverUrl: receiver.url, agentRegister });
    log(`receiver: ${receiver.url}`);
  } else {
    list = variants({ receiverUrl: 'http://127.0.0.1:4317', agentRegister });
  }
  try {
    if (only.includes('startup')) startup = await benchStartup(list);
    if (only.includes('catalogue')) catalogue = await benchCatalogueStartup(receiver.url);
    if (only.includes('load')) {
      upstream = await spawnListening({ script: path.join(__dirname, 'apps', 'upstream-server.js') });
      load = await benchLoad(list, `http://127.0.0.1:${upstream.fields[0]}/inventory`);
    }
  } finally {
    if (upstream) await stop(upstream.child, 0);
    if (receiver) {
      receiver.child.disconnect();
      await stop(receiver.child, 2000);
    }
  }
  if (only.includes('micro')) micro = await benchMicro();

  const elapsed = (Date.now() - started) / 1000;
  M.loadavgEnd = loadavgNow();
  const A = analyse(list, startup, load, micro, catalogue);
  const T = tables(A);
  const targetRows = targets(A);
  log('');
  for (const t of T) log(`${t.title}\n${textTable(t.cols, t.rows)}\n`);
  if (targetRows.length) log(`Targets\n${textTable(TARGET_COLS, targetRows)}\n`);
  for (const n of notesOf(A)) log(`note: ${n}`);
  log(`\n${M.cores} cores, node ${M.node}, ${M.date}, ${elapsed.toFixed(0)} s; load average ${M.loadavg} at start, ${M.loadavgEnd} at end`);

  const tmp = path.join(ROOT, '.tmp', 'bench');
  fs.mkdirSync(tmp, { recursive: true });
  fs.writeFileSync(path.join(tmp, 'last-run.json'), JSON.stringify({ machine: M, config: CFG, only, quick, startup, load, micro, analysis: A }, null, 1));
  if (writeReport) {
    fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), renderMarkdown(A, T, targetRows, M, elapsed));
    log('wrote BENCHMARKS.md');
  } else {
    log(`(BENCHMARKS.md not written: ${quick ? '--quick' : only.length < SECTIONS.length ? '--only' : '--no-write'}; raw results in .tmp/bench/last-run.json)`);
  }
}

main().catch((err) => {
  console.error(`bench failed: ${err && err.stack ? err.stack : err}`);
  process.exitCode = 1;
  require('./lib/proc').killAll();
});
