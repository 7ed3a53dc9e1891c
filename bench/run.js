#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: bare app vs our agent vs upstream's auto-instrumentations register, dd-trace and
 * elastic-apm-node, on Node 20 and Node 24, one process tree, variants interleaved, medians reported;
 * prints the tables and writes BENCHMARKS.md (issue 13's goal rows at the top).
 *
 *   node bench/run.js                 full run (both Node versions; 3 rounds, 5 s on /users/:id, 2 s on /error and /fetch, 5 startup runs)
 *   node bench/run.js --quick         smoke check (1 round, 2 s per route, 3 startup runs); no BENCHMARKS.md
 *   node bench/run.js --only=startup|catalogue|load|micro|profile   some parts (comma-separated); no BENCHMARKS.md
 *                                     (catalogue: startup of a node:http app, whole catalogue vs http,express,undici;
 *                                      profile: CPU profile of agent 100% vs bare on /users/:id, by component)
 *   --node=20,24                      Node versions the app runs on (majors or binary paths; default 20,24;
 *                                     a missing major is installed by scripts/install-node-versions.js)
 *   --variants=all | +id,... | id,... the defaults plus some, or only these (bare always runs); ids in bench/lib/variants.js
 *   --write / --no-write              force / skip writing BENCHMARKS.md
 *   --rounds=N --duration=S --startup-runs=N --connections=N   overrides
 *   --agent-register=PATH             benchmark another build of the agent (default build/register.js)
 *   --baseline-register=PATH          adds variants baseline / baseline0: that build at 100% / 0% in the same run (A/B)
 *   --no-snapshot                     use build/ in place (default: a copy of build/ taken at start, in .tmp/bench/,
 *                                     so a rebuild by someone else mid-run cannot change the agent under test)
 *
 * Needs a build (`npm run bench` builds first). Runs only on loopback; installs nothing but a missing
 * Node major of --node (with scripts/install-node-versions.js, as the test matrix does).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnListening, stop, sleep, installCleanup, cleanEnv } = require('./lib/proc');
const { variants, selectVariants, metricsEnvOf, roundOrder, agentStartFailure, ROOT } = require('./lib/variants');
const { nodeVersions } = require('./lib/node-versions');
const { profileVariant, componentRows, topFunctions } = require('./lib/cpuprofile');
const { goalTable, peerTable } = require('./lib/goals');
const { runLoad, getJson } = require('./lib/load');
const { cpuOf, cpuDelta, settle, THREAD_KINDS } = require('./lib/cpu');
const { cpuTimes, stealShareBetween, hostNoise, describeHostNoise } = require('./lib/host-noise');
const { median } = require('./lib/stats');
const { textTable, markdownTable } = require('./lib/table');

const THREAD_TITLES = { main: 'main thread', v8Helpers: 'V8 helpers', workers: 'workers', other: 'other' };

// ------------------------------------------------------------------ options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name) => {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? undefined : hit.slice(name.length + 3);
};
const known = [
  'quick',
  'write',
  'no-write',
  'only',
  'node',
  'variants',
  'rounds',
  'duration',
  'startup-runs',
  'connections',
  'agent-register',
  'baseline-register',
  'no-snapshot',
  'help',
];
for (const a of argv) {
  const name = a.replace(/^--/, '').split('=')[0];
  if (!a.startsWith('--') || !known.includes(name)) {
    console.error(
      `bench: unknown argument ${a}\nusage: node bench/run.js [--quick] [--only=startup|catalogue|load|micro|profile] [--node=20,24] [--variants=...] [--write|--no-write]`,
    );
    process.exit(2);
  }
}
if (flag('help')) {
  const head = fs.readFileSync(__filename, 'utf8').split('\n');
  console.log(head.slice(2, head.indexOf(' */') + 1).join('\n'));
  process.exit(0);
}
const quick = flag('quick');
const SECTIONS = ['startup', 'catalogue', 'load', 'micro', 'profile'];
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
  startupRuns: posInt(opt('startup-runs'), quick ? 3 : 5),
  connections: posInt(opt('connections'), 10),
  // Two Node versions x 8-9 variants x 3 rounds must fit in ~25 minutes: /users/:id (the goal rows'
  // route) keeps 5 s, the other routes and the open-loop runs are shorter.
  usersSec: opt('duration') ? Number(opt('duration')) : quick ? 2 : 5,
  otherSec: opt('duration') ? Number(opt('duration')) : 2,
  // Long enough for V8 to have compiled the hot code: after a 2 s warm-up, V8's background compiler
  // still ran during the /users/:id window (node --trace-opt, Node 24, 5 s window, compile time per
  // request: bare 5 µs, our agent 57, dd-trace 91), a one-off cost of a fresh process counted as a
  // cost per request, and most of all for the agents, whose code (and our export worker's, which
  // runs a batch every 200 ms and so gets hot late) is the most. After 10 s: bare 6, ours 9,
  // dd-trace 10. A service runs for hours: its per-request cost is the steady state.
  warmupSec: quick ? 1.5 : 10,
  // Open-loop latency: one connection at a fixed, light rate (well under any variant's capacity).
  openLoopRate: 100,
  openLoopSec: quick ? 1.5 : 2,
  idleMs: quick ? 300 : 500,
  // The CPU profile (agent 100% vs bare, /users/:id) per Node version.
  profileSec: quick ? 2 : 5,
  profileWarmSec: quick ? 1 : 2,
};
const NODE_SPECS = (opt('node') || `${process.versions.node.split('.')[0]},24`).split(',').filter(Boolean);
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
  const missing = [agentRegister].filter((f) => !fs.existsSync(f));
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
    timeoutMs: 20_000,
  });
  let seq = 0;
  const [datadog, apm] = r.fields[1].split('|');
  receiver = {
    url: r.fields[0],
    urls: { otlp: r.fields[0], datadog, apm },
    child: r.child,
    stats() {
      const id = ++seq;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          r.child.off('message', onMsg);
          resolve({ spans: NaN, exports: NaN, names: {}, by: {} });
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
/** The first line of a spawn failure, and the last stderr line (Node's error), for the report. */
function didNotStart(err) {
  const lines = String((err && err.message) || err)
    .split('\n')
    .filter(Boolean);
  const cause = lines.slice(1).find((l) => /Error\b/.test(l)) || lines[lines.length - 1];
  return `did not start: ${lines[0].slice(0, 120)}${lines.length > 1 ? ` / ${cause.trim().slice(0, 160)}` : ''}`;
}

async function benchStartup(list, nv) {
  const out = Object.fromEntries(list.map((v) => [v.id, []]));
  log(`\n== startup, Node ${nv.version}: ${CFG.startupRuns} interleaved runs x ${list.length} variants (spawn -> "LISTENING", RSS at listening)`);
  for (let run = 0; run < CFG.startupRuns; run++) {
    const line = [];
    for (const v of roundOrder(list, run)) {
      let app;
      try {
        app = await spawnListening({ script: APP, nodeArgs: v.nodeArgs, env: v.env, timeoutMs: 30_000, execPath: nv.bin });
      } catch (err) {
        out[v.id].push({ ms: NaN, rss: NaN, failure: didNotStart(err) });
        line.push(`${v.id} DID NOT START`);
        continue;
      }
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
async function benchCatalogueStartup(receiverUrl, nv) {
  const out = Object.fromEntries(CATALOGUE_VARIANTS.map((v) => [v.id, []]));
  log(`\n== catalogue startup, Node ${nv.version}: ${CFG.startupRuns} interleaved runs x ${CATALOGUE_VARIANTS.length} variants of bench/apps/hello-app.js`);
  for (let run = 0; run < CFG.startupRuns; run++) {
    const line = [];
    for (const v of roundOrder(CATALOGUE_VARIANTS, run)) {
      const app = await spawnListening({
        script: path.join(__dirname, 'apps', 'hello-app.js'),
        nodeArgs: ['-r', agentRegister],
        env: { TRACING_EXPORTER: 'otlp', TRACING_ENDPOINT: receiverUrl, TRACING_SERVICE_NAME: 'bench', ...v.env },
        timeoutMs: 30_000,
        execPath: nv.bin,
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

async function benchLoad(list, upstreamUrl, nv) {
  const out = Object.fromEntries(
    list.map((v) => [
      v.id,
      { routes: Object.fromEntries(ROUTES.map((r) => [r.id, []])), openLoop: Object.fromEntries(OPEN_LOOP_ROUTES.map((r) => [r.id, []])), meta: [] },
    ]),
  );
  log(
    `\n== load, Node ${nv.version}: ${CFG.rounds} round(s) x ${list.length} variants, autocannon ${CFG.connections} connections, ` +
      `${CFG.usersSec}s /users/:id + ${CFG.otherSec}s /error + ${CFG.otherSec}s /fetch per variant (after ${CFG.warmupSec}s warm-up)`,
  );
  // Warm the load generator itself (autocannon's JIT, hdr wasm) against the bare upstream server,
  // so the first variant measured is not penalised by a cold client.
  await runLoad({ url: upstreamUrl, path: '', connections: CFG.connections, durationSec: quick ? 1 : 2 });
  await receiver.stats(); // zero the counters
  for (let round = 0; round < CFG.rounds; round++) {
    for (const v of roundOrder(list, round)) {
      let app;
      try {
        app = await spawnListening({
          script: APP,
          nodeArgs: v.nodeArgs,
          env: { ...v.env, BENCH_UPSTREAM_URL: upstreamUrl },
          timeoutMs: 30_000,
          execPath: nv.bin,
        });
      } catch (err) {
        // A variant that cannot start (a peer on a Node it does not support, say) is reported, not fatal to the run.
        out[v.id].meta.push({ round, spans: 0, bytes: 0, decodedBytes: 0, requests: 0, otherPaths: {}, stray: [], failure: didNotStart(err), stderr: '' });
        log(`  round ${round + 1}/${CFG.rounds} ${v.id.padEnd(13)} DID NOT START: ${didNotStart(err)}`);
        continue;
      }
      const base = `http://127.0.0.1:${app.fields[0]}`;
      let requests = 0;
      try {
        await sleep(CFG.idleMs);
        const settleMs = await settle(app.child.pid);
        const rssIdle = (await getJson(`${base}/__rss`)).body.rss;
        const warm = await runLoad({ url: base, paths: ROUTES.map((r) => r.path), connections: CFG.connections, durationSec: CFG.warmupSec });
        requests += warm.total;
        // Work the warm-up started (a lazily loaded exporter, the first batches) ends before measuring.
        const settleAfterWarmMs = await settle(app.child.pid);
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
          res.threadCpuUs = Object.fromEntries(THREAD_KINDS.map((kind) => [kind, cpu && res.total ? (cpu.threads[kind] * 1000) / res.total : NaN]));
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
        // What this variant's receiver got (all receivers are zeroed by each stats call): bytes as
        // received, bytes decompressed, spans; and what the other receivers got (should be nothing).
        const own = (v.receiver && recv.by[v.receiver]) || { bytes: 0, decodedBytes: 0, spans: 0, exports: 0, decodeErrors: 0, otherPaths: {} };
        const stray = Object.entries(recv.by || {})
          .filter(([kind, c]) => kind !== v.receiver && c.bytes > 0)
          .map(([kind]) => kind);
        out[v.id].meta.push({
          round,
          rssIdle,
          rssAfter,
          spans: v.receiver ? own.spans : recv.spans,
          bytes: own.bytes,
          decodedBytes: own.decodedBytes,
          decodeErrors: own.decodeErrors,
          otherPaths: own.otherPaths,
          stray,
          requests,
          spanNames: recv.names,
          settleMs,
          settleAfterWarmMs,
          failure,
          stderr: app.stderr().slice(0, 2000),
        });
        const bpr = requests ? own.bytes / requests : 0;
        log(
          `  round ${round + 1}/${CFG.rounds} ${v.id.padEnd(13)} ${cells.join('  ')}  spans ${v.receiver ? own.spans : recv.spans}  ${bpr.toFixed(0)} B/req` +
            `${failure ? '  AGENT DID NOT START' : ''}${v.mustExport && !(own.bytes > 0) ? '  EXPORTED NOTHING' : ''}`,
        );
      } finally {
        await stop(app.child, 0);
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------ micro (child process: clean heap)
async function benchMicro(nv) {
  log(`\n== micro-benchmarks, Node ${nv.version} (in-process, in a child node process${quick ? ', --quick' : ''})`);
  const { spawn } = require('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(nv.bin, [path.join(__dirname, 'micro.js'), '--json', ...(quick ? ['--quick'] : [])], {
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

// ------------------------------------------------------------------ profile
/**
 * Where the remaining time goes: agent 100% and bare on /users/:id under `node --cpu-prof` (the
 * agent's export worker profiled too), self time per request by component. Profiling slows both, so
 * the figures tell where the time goes, not how much the agent costs (the load table does that).
 */
async function benchProfile(list, upstreamUrl, nv) {
  const pick = (id) => list.find((v) => v.id === id);
  if (!pick('agent')) return { na: 'the agent 100% variant did not run' };
  log(`\n== profile, Node ${nv.version}: agent 100% vs bare on /users/:id under --cpu-prof (${CFG.profileWarmSec} s warm-up + ${CFG.profileSec} s each)`);
  const dir = path.join(ROOT, '.tmp', 'cpuprof', `bench-node${nv.major}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  const ctx = { routePath: '/users/42', duration: CFG.profileSec, warmSec: CFG.profileWarmSec, dir, upstreamUrl, execPath: nv.bin };
  const bare = await profileVariant(pick('bare'), ctx);
  const agent = await profileVariant(pick('agent'), ctx);
  if (!bare.file || !agent.file) return { na: 'no .cpuprofile written' };
  log(`  bare ${bare.rps.toFixed(0)} req/s, agent ${agent.rps.toFixed(0)} req/s (profiled)`);
  return {
    dir: path.relative(ROOT, dir),
    requests: { bare: bare.requests, agent: agent.requests },
    components: componentRows(bare, agent, 14).map(({ worker: _worker, ...r }) => r),
    functions: topFunctions(agent, 15),
  };
}

// ------------------------------------------------------------------ report
const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : 'n/a');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const signed = (x, fmt) => (Number.isFinite(x) ? (x >= 0 ? '+' : '') + fmt(x) : 'n/a');

function analyse(list, { startup, load, loadStealShare, micro, catalogue, profile }, major) {
  const A = { variants: list.map((v) => ({ id: v.id, label: v.label, receiver: v.receiver, mustExport: v.mustExport })), failures: {}, exportFailures: {} };
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
        const addedCpuUs = median(runs.map((r) => r.cpuUs - (bareRuns.find((b) => b.round === r.round) || {}).cpuUs));
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
          threadCpuUs: Object.fromEntries(THREAD_KINDS.map((kind) => [kind, median(runs.map((r) => r.threadCpuUs[kind]))])),
          receiverCpuUs: median(runs.map((r) => r.receiverCpuUs)),
          cpuRatio,
          addedCpuUs,
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
      const sum = (k) => L.meta.reduce((s, m) => s + (m[k] || 0), 0);
      const bareMeta = load.bare ? load.bare.meta : [];
      const bareRssAfterOf = (m) => (bareMeta.find((b) => b.round === m.round) || {}).rssAfter;
      const perRoundBytes = L.meta.map((m) => (m.requests ? m.bytes / m.requests : NaN));
      A.load[v.id].meta = {
        rssIdle: median(L.meta.map((m) => m.rssIdle)) / MiB,
        rssAfter: median(L.meta.map((m) => m.rssAfter)) / MiB,
        addedRssAfter: median(L.meta.map((m) => m.rssAfter - bareRssAfterOf(m))) / MiB,
        spansPerReq: reqs ? spans / reqs : NaN,
        bytesPerReq: reqs ? sum('bytes') / reqs : NaN,
        decodedBytesPerReq: reqs ? sum('decodedBytes') / reqs : NaN,
        bytesPerReqRange: [Math.min(...perRoundBytes), Math.max(...perRoundBytes)],
        decodeErrors: sum('decodeErrors'),
        otherPaths: Object.assign({}, ...L.meta.map((m) => m.otherPaths || {})),
        stray: [...new Set(L.meta.flatMap((m) => m.stray || []))],
        settleMs: median(L.meta.map((m) => m.settleMs)),
        settleAfterWarmMs: median(L.meta.map((m) => m.settleAfterWarmMs)),
        roundsWithoutExport: L.meta.filter((m) => v.mustExport && !(m.bytes > 0)).map((m) => m.round + 1),
        spanNames: L.meta.length ? L.meta[L.meta.length - 1].spanNames : {},
        stderr: [...new Set(L.meta.flatMap((m) => m.stderr.split('\n').filter(Boolean)))].slice(0, 4),
        roundsWithoutSpans: L.meta.filter((m) => v.mustExport && m.spans === 0).map((m) => m.round + 1),
      };
      noteFailure(v.id, L.meta.map((m) => m.failure).find(Boolean));
      // A peer (or our agent) at 100% that exported nothing would make the comparison a lie.
      const noExport = A.load[v.id].meta.roundsWithoutExport;
      if (noExport.length) A.exportFailures[v.id] = `${v.label} exported nothing to its receiver in round(s) ${noExport.join(', ')}`;
    }
    if (load.agent && load.upstream) {
      A.agentVsUpstream = median(load.agent.routes.users.map((r) => r.rps / (load.upstream.routes.users.find((u) => u.round === r.round) || {}).rps));
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
  if (profile) A.profile = profile;
  if (load && load.bare)
    A.hostNoise = hostNoise(
      load.bare.routes.users.map((r) => r.cpuUs),
      loadStealShare,
      major,
    );
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
      title:
        'Throughput and latency (medians over rounds; "x bare" = median of per-round ratios to bare, range = min-max over rounds; p50/p99 = autocannon, 1 ms resolution; exact = from per-response hrtime; CPU µs/req = the app process\'s CPU time (all threads; main thread) per request, from /proc)',
      cols,
      rows,
    });
    // Where each variant's CPU goes, by thread (Node 22+ names its threads; Node 20 does not: there
    // everything but the main thread is "other").
    const users = ROUTES[0];
    T.push({
      title: `CPU µs per request on ${users.label} by thread (medians over rounds; from /proc/<pid>/task/*: V8 helpers = V8's platform threads, parallel GC and background compiling; workers = worker_threads, our export worker; other = libuv's pool and the rest, and on Node 20, whose threads are all named "node", every thread but the main one)`,
      cols: [
        { title: 'variant', align: 'left' },
        { title: 'all threads', align: 'right' },
        ...THREAD_KINDS.map((kind) => ({ title: THREAD_TITLES[kind], align: 'right' })),
      ],
      rows: A.variants.map((v) => {
        const r = A.load[v.id][users.id];
        return [v.label + (A.failures[v.id] ? ' (!)' : ''), f0(r.cpuUs), ...THREAD_KINDS.map((kind) => f0(r.threadCpuUs[kind]))];
      }),
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
      { title: 'receiver', align: 'left' },
      { title: 'bytes/request', align: 'right' },
      { title: 'range over rounds', align: 'right' },
      { title: 'decompressed bytes/request', align: 'right' },
      { title: 'receiver CPU µs/req (/users)', align: 'right' },
      { title: 'idle after (ms)', align: 'right' },
      { title: 'idle after warm-up (ms)', align: 'right' },
    ];
    T.push({
      title: `Per variant during the load runs (RSS once idle: ${CFG.idleMs} ms after listening, then until 200 ms pass with under 10 ms of the app's CPU, "idle after" in ms from the end of the ${CFG.idleMs} ms; and RSS after the load; spans and bytes received by the variant's receiver per request sent, over all routes of a round, warm-up and open loop included; bytes are request bodies as received, Elastic's gzip-compressed)`,
      cols: mcols,
      rows: A.variants.map((v) => {
        const m = A.load[v.id].meta;
        const [lo, hi] = m.bytesPerReqRange;
        return [
          v.label,
          v.receiver ? f2(m.spansPerReq) : '-',
          f1(m.rssIdle),
          f1(m.rssAfter),
          v.receiver || '-',
          v.receiver ? f0(m.bytesPerReq) : '-',
          v.receiver && lo !== hi ? `${f0(lo)}-${f0(hi)}` : '',
          v.receiver ? f0(m.decodedBytesPerReq) : '-',
          f0(A.load[v.id].users.receiverCpuUs),
          f0(m.settleMs),
          f0(m.settleAfterWarmMs),
        ];
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

/** The earlier issues' targets (issue 13's goals are in bench/lib/goals.js). Rows whose variants did not run are left out. */
function targets(A) {
  const out = [];
  const fail = (ids) => ids.map((id) => A.failures[id]).find(Boolean);
  const ran = (id) => (A.load ? A.load[id] : undefined) || (A.startup ? A.startup[id] : undefined);
  const add = (name, value, shown, threshold, ok, ids = []) => {
    if (ids.some((id) => !ran(id) && !(A.catalogue && A.catalogue[id]))) return;
    const f = fail(ids);
    const result = !Number.isFinite(value) ? 'n/a' : f ? 'INVALID (agent did not start)' : ok(value) ? 'PASS' : 'MISS';
    out.push([name, Number.isFinite(value) ? shown : 'n/a', threshold, result]);
  };
  const L = (id, route) => (A.load && A.load[id] ? A.load[id][route] : {}) || {};
  const S = (id) => (A.startup && A.startup[id]) || {};
  if (A.load) {
    add('agent 100%: /users/:id throughput vs bare', L('agent', 'users').ratio, `${f2(L('agent', 'users').ratio)}x`, '>= 0.80x', (v) => v >= 0.8, ['agent']);
    add('agent 100% vs upstream register: /users/:id throughput', A.agentVsUpstream, `${f2(A.agentVsUpstream)}x`, '>= 1.5x', (v) => v >= 1.5, [
      'agent',
      'upstream',
    ]);
    add(
      'TRACING_ENABLED=false: /users/:id throughput vs bare',
      L('disabled', 'users').ratio,
      `${f2(L('disabled', 'users').ratio)}x`,
      '>= 0.97x',
      (v) => v >= 0.97,
      ['disabled'],
    );
  }
  if (A.startup) {
    add('TRACING_ENABLED=false: startup added over bare', S('disabled').addedMs, `${signed(S('disabled').addedMs, f0)} ms`, '<= 10 ms', (v) => v <= 10, [
      'disabled',
    ]);
    add('agent 100%: startup added over bare', S('agent').addedMs, `${signed(S('agent').addedMs, f0)} ms`, '<= 150 ms', (v) => v <= 150, ['agent']);
    add('agent 100%: RSS at listening added over bare', S('agent').addedRss, `${signed(S('agent').addedRss, f1)} MiB`, '<= 15 MiB', (v) => v <= 15, ['agent']);
  }
  if (A.catalogue) {
    add(
      'whole catalogue (lazy) vs http,express,undici: startup of an app that loads none of it',
      A.catalogue.addedMs,
      `${signed(A.catalogue.addedMs, f0)} ms`,
      '<= 15 ms',
      (v) => v <= 15,
      ['three', 'catalogue'],
    );
  }
  if (A.load && A.load.agent) {
    // The export worker starts on the first timer turn after the app's main module, so RSS at
    // "listening" can miss it; 500 ms later it is always there. Judged here too, to be fair.
    const addedIdle = A.load.agent.meta.rssIdle - A.load.bare.meta.rssIdle;
    add(
      'agent 100%: RSS 500 ms after listening (export worker running) added over bare',
      addedIdle,
      `${signed(addedIdle, f1)} MiB`,
      '<= 15 MiB',
      (v) => v <= 15,
      ['agent'],
    );
  }
  if (A.micro) {
    const m = (id) => A.micro.find((x) => x.id === id) || {};
    add('traceparent extract + inject (p50)', m('traceparent').p50, `${f2(m('traceparent').p50)} µs`, '< 10 µs', (v) => v < 10);
    add('masked exception record (p95)', m('maskExc').p95, m('maskExc').na || `${f2(m('maskExc').p95)} µs`, '< 100 µs', (v) => v < 100);
  }
  if (A.load && A.load.agent) {
    const open = A.load.agent.openLoop.error.addedP50;
    add(
      `error-path added latency, agent 100% (open loop, ${CFG.openLoopRate} req/s: exact p50 vs bare)`,
      open,
      `${signed(open, f2)} ms`,
      '< 1 ms',
      (v) => v < 1,
      ['agent'],
    );
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
    loadavg: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}
function loadavgNow() {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

function commandLine() {
  const args = process.argv.slice(2).join(' ');
  return process.env.npm_lifecycle_event === 'bench' && !args ? 'npm run bench' : `node bench/run.js${args ? ' ' + args : ''}`;
}

function profileSection(runs) {
  const lines = [];
  for (const { version, A } of runs) {
    const P = A.profile;
    lines.push(`### ${version}`, '');
    if (!P || P.na) {
      lines.push(`Not profiled${P && P.na ? `: ${P.na}` : ''}.`, '');
      continue;
    }
    lines.push(
      `Self time per request under load by component, agent 100% minus bare, largest first (main thread; then the export worker thread, all of it). ` +
        `${P.requests.agent} agent and ${P.requests.bare} bare requests profiled; profiles in \`${P.dir}/\`.`,
      '',
      markdownTable(
        [
          { title: 'component', align: 'left' },
          { title: 'bare µs/req', align: 'right' },
          { title: 'agent µs/req', align: 'right' },
          { title: 'added µs/req', align: 'right' },
        ],
        P.components.map((r) => [r.component, f1(r.baseline), f1(r.target), signed(r.delta, f1)]),
      ),
      '',
      "Top self-time functions of the agent's main thread under load:",
      '',
      markdownTable(
        [
          { title: 'µs/req', align: 'right' },
          { title: 'share', align: 'right' },
          { title: 'function  file:line', align: 'left' },
        ],
        P.functions.map((f) => [f2(f.usPerReq), `${(f.share * 100).toFixed(1)}%`, f.fn]),
      ),
      '',
    );
  }
  return lines;
}

function renderMarkdown(runs, list, M, elapsedSec) {
  const lines = [];
  const shown = [...runs].sort((a, b) => Number(b.major) - Number(a.major)); // Node 24 first, as in issue 13
  lines.push('# Benchmarks', '');
  lines.push(
    `Generated by \`${commandLine()}\` (bench/run.js) on ${M.date}. Do not edit by hand: rerun \`npm run bench\`.`,
    '',
    `- Machine: ${M.cores} cores (${M.cpu}), ${M.platform}; load average (1/5/15 min) ${M.loadavg} at start, ${M.loadavgEnd} at end`,
    `- Node (the app's): ${shown.map((r) => `${r.version} (\`${path.relative(ROOT, r.bin) || r.bin}\`)`).join(', ')}; the bench itself (load generator, receivers) runs on ${M.node}`,
    `- Agent: \`${path.relative(ROOT, agentRegister) || agentRegister}\`${buildRoot !== ROOT ? ' (a copy of build/ taken when the run started)' : ''}; the run took ${elapsedSec.toFixed(0)} s`,
    `- Peers: ${list
      .filter((v) => ['ddtrace', 'elastic', 'upstream'].includes(v.id))
      .map((v) => v.label)
      .join(', ')} (dd-trace 5.x on both Node versions: 6.x needs Node >= 22)`,
    '',
    'The machine is shared and noisy: compare the **ratios** and the CPU per request (each measured against bare node',
    'in the same round of one interleaved run), not absolute times across runs.',
    '',
  );
  if (quick) {
    lines.push(
      `**Smoke run (\`--quick\`: ${CFG.rounds} round, ${CFG.usersSec} s per route, ${CFG.startupRuns} startup runs): these figures show the report, not the agent's cost; \`npm run bench\` measures it.**`,
      '',
    );
  }
  const exportFailures = runs.flatMap((r) => Object.values(r.A.exportFailures).map((f) => `${r.version}: ${f}`));
  if (exportFailures.length) lines.push('**THIS RUN IS INVALID where marked: ' + exportFailures.join('; ') + '.**', '');
  const G = goalTable(shown);
  lines.push(
    '## Goals (issue 13)',
    '',
    'Computed from this run (bench/lib/goals.js): added CPU = median over rounds of (variant - bare) CPU µs per request on',
    '/users/:id, the app process, all threads, from /proc; throughput = median of per-round req/s ratios to bare.',
    '',
    markdownTable(G.cols, G.rows),
    '',
  );
  const noise = shown.filter((r) => r.A.hostNoise).map((r) => `- Host during the ${r.version} load phase: ${describeHostNoise(r.A.hostNoise)}`);
  if (noise.length) lines.push(...noise, '');
  const P = peerTable(shown, list);
  lines.push(
    '## Side by side',
    '',
    'express 5 `/users/:id`, 10 connections, 100% sampling, each agent exporting to a loopback receiver that reads and discards.',
    'CPU and req/s on /users/:id; exported bytes and spans per request over all routes of each round (request bodies as received:',
    'OTLP protobuf for ours and upstream, msgpack for dd-trace, gzip ndjson for Elastic); RSS after the load; startup spawn -> listening.',
    '',
    markdownTable(P.cols, P.rows),
    '',
  );
  lines.push('## Where the remaining time goes', '', ...profileSection(shown));
  lines.push(
    '## Method',
    '',
    '- One process tree: the bench process runs autocannon (programmatic); the app (`bench/apps/express-app.js`,',
    '  express 5) runs in a child process on the Node version under test; a bare node:http upstream (`bench/apps/upstream-server.js`)',
    '  and the receivers (`bench/receiver-process.js`, one process: OTLP gRPC, bench/lib/otlp-receiver.js; a Datadog-agent-shaped and',
    '  an APM-server-shaped HTTP endpoint, bench/lib/peer-receivers.js; each only counts bytes and spans, then discards) run in their',
    '  own child processes. Loopback only. Each Node version is one section of the same run, with its own bare baseline.',
    `- Variants, interleaved (round r starts at variant r, so every variant takes every position): ${list.map((v) => v.label).join(', ')}.`,
    '  Agent: `node -r build/register.js` with TRACING_EXPORTER=otlp, TRACING_ENDPOINT=<receiver>, TRACING_SERVICE_NAME=bench,',
    '  default batch settings (0% / 10% add TRACING_SAMPLE_RATE; disabled sets TRACING_ENABLED=false). Upstream:',
    '  `node -r @opentelemetry/auto-instrumentations-node/register` with OTEL_TRACES_EXPORTER=otlp,',
    '  OTEL_EXPORTER_OTLP_PROTOCOL=grpc, OTEL_EXPORTER_OTLP_ENDPOINT=<receiver>, OTEL_METRICS_EXPORTER=none,',
    '  OTEL_LOGS_EXPORTER=none, OTEL_NODE_RESOURCE_DETECTORS=env,host,os,process (no cloud probes).',
    '  dd-trace: `node -r dd-trace/init`, DD_TRACE_SAMPLE_RATE=1, DD_TRACE_AGENT_URL=<receiver>, with startup logs, telemetry,',
    '  remote config, runtime metrics, profiling, stats computation, data streams, crash tracking, AppSec, IAST, dynamic',
    '  instrumentation and LLM observability off (bench/lib/variants.js). Elastic: `node -r elastic-apm-node/start`,',
    '  ELASTIC_APM_TRANSACTION_SAMPLE_RATE=1, ELASTIC_APM_SERVER_URL=<receiver>, central config, metrics, breakdown metrics,',
    "  cloud metadata, logging and body capture off. Each peer's other defaults are kept (what its users get).",
    '  A variant at 100% whose receiver got no bytes in a round makes the bench exit 1 and its goal rows INVALID;',
    '  a request a peer makes to any other path of its receiver is listed in the notes.',
    `- Load: per variant and round a fresh app, ${CFG.idleMs} ms idle and then until it is idle (200 ms under 10 ms of CPU, at most 3 s, so an agent's`,
    `  start-up work stays out of the measured windows), ${CFG.warmupSec} s warm-up over all routes (and again until idle), then autocannon`,
    `  with ${CFG.connections} connections: ${CFG.usersSec} s on /users/:id, ${CFG.otherSec} s on /error, ${CFG.otherSec} s on /fetch; ${CFG.rounds} rounds.`,
    '  req/s is autocannon\'s `requests.average`; p50/p99 are autocannon\'s (1 ms resolution); "exact" percentiles',
    "  come from each response's hrtime duration (autocannon's `response` event) and give the sub-ms error-path figure.",
    "  CPU per request: utime+stime of the app process (all threads) over the route's window, from /proc, divided by responses.",
    `- Startup: spawn -> the app's \`LISTENING <port> <rss>\` line, ${CFG.startupRuns} interleaved runs per variant, median.`,
    '- Catalogue startup: the same measure on `bench/apps/hello-app.js` (node:http only, loads no module of the catalogue),',
    "  agent default (whole catalogue, each instrumentation loaded at its module's first load) vs TRACING_INSTRUMENTATIONS=http,express,undici.",
    '- Micro-benchmarks: `bench/micro.js` in a child process on the Node version under test, `process.hrtime.bigint()`, warm-up first.',
    `- Profile: bench/lib/cpuprofile.js, bare and agent 100% under \`node --cpu-prof\`, ${CFG.profileWarmSec} s warm-up + ${CFG.profileSec} s on /users/:id;`,
    '  self time per request grouped by package (our agent: by module of build/src). `node bench/profile.js --node=24` for more.',
    '- Reading the figures: the load is closed-loop (a fixed number of connections, as fast as answered), so p50 is',
    '  roughly connections / throughput and its "added p50" mostly reflects lost throughput, not a fixed',
    `  per-request delay. The open-loop table (1 connection at ${CFG.openLoopRate} req/s) measures that delay.`,
    '',
  );
  for (const r of shown) {
    lines.push(`## ${r.version}: details`, '');
    if (r.targetRows.length) lines.push('### Targets of earlier issues', '', markdownTable(TARGET_COLS, r.targetRows), '');
    for (const t of r.T) lines.push(`### ${t.title.split(' (')[0]}`, '', `${t.title}.`, '', markdownTable(t.cols, t.rows), '');
  }
  const notes = shown.flatMap((r) => notesOf(r.A).map((n) => `${r.version}: ${n}`));
  if (M.metricsSkipped) notes.push(M.metricsSkipped);
  if (notes.length) lines.push('## Notes', '', ...notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

function notesOf(A) {
  const notes = [];
  for (const [id, f] of Object.entries(A.failures)) {
    notes.push(
      f.startsWith('did not start')
        ? `(!) ${id}: the app ${f}.`
        : `(!) ${id}: our agent printed "otel-agent: failed to start (${f.split('\n')[0]})": that variant measured an uninstrumented app.`,
    );
  }
  for (const f of Object.values(A.exportFailures || {})) notes.push(`(!) ${f}: its figures compare against an agent that did not export.`);
  if (A.load) {
    for (const v of A.variants) {
      for (const route of ROUTES) {
        const r = A.load[v.id][route.id];
        if (r.unexpected > 0.01) notes.push(`${v.label} ${route.label}: ${(r.unexpected * 100).toFixed(1)}% of responses were not ${route.expect}.`);
        if (r.errors > 0) notes.push(`${v.label} ${route.label}: ${r.errors} connection errors/timeouts.`);
      }
      const m = A.load[v.id].meta;
      if (v.receiver && v.mustExport && !(m.spansPerReq > 0)) notes.push(`${v.label}: the receiver counted no spans.`);
      else if (m.roundsWithoutSpans.length) notes.push(`${v.label}: the receiver got no spans in round(s) ${m.roundsWithoutSpans.join(', ')}.`);
      const [lo, hi] = m.bytesPerReqRange;
      if (v.mustExport && lo > 0 && hi / lo > 2) notes.push(`${v.label}: exported bytes per request moved ${f0(lo)}-${f0(hi)} over rounds (more than 2x).`);
      if (m.decodeErrors) notes.push(`${v.label}: ${m.decodeErrors} export bodies its receiver could not decode (bytes still counted).`);
      if (Object.keys(m.otherPaths).length)
        notes.push(
          `${v.label} also called its receiver at: ${Object.entries(m.otherPaths)
            .map(([k, n]) => `${k} (${n}x)`)
            .join(', ')}.`,
        );
      if (m.settleMs >= 3000 || m.settleAfterWarmMs >= 3000)
        notes.push(
          `${v.label}: the app was still busy after 3 s of waiting to be idle (before or after the warm-up): part of its start-up may be in the measured windows.`,
        );
      if (m.stray.length) notes.push(`${v.label}: receiver(s) ${m.stray.join(', ')} also got data while it ran.`);
      if (m.stderr.length) notes.push(`${v.label} stderr: ${m.stderr.map((s) => '`' + s.slice(0, 160) + '`').join(' ')}`);
    }
  }
  if (A.profile && A.profile.na) notes.push(`profile: ${A.profile.na}`);
  return notes;
}

// ------------------------------------------------------------------ main
async function runNodeVersion(nv, list, upstreamUrl) {
  const R = { major: nv.major, version: `Node ${nv.version.replace(/^v/, '')}`, bin: nv.bin };
  const parts = {};
  if (only.includes('startup')) parts.startup = await benchStartup(list, nv);
  if (only.includes('catalogue')) parts.catalogue = await benchCatalogueStartup(receiver.url, nv);
  if (only.includes('load')) {
    const before = cpuTimes();
    parts.load = await benchLoad(list, upstreamUrl, nv);
    parts.loadStealShare = stealShareBetween(before, cpuTimes());
  }
  if (only.includes('micro')) parts.micro = await benchMicro(nv);
  if (only.includes('profile')) {
    try {
      parts.profile = await benchProfile(list, upstreamUrl, nv);
    } catch (err) {
      parts.profile = { na: `failed: ${String(err && err.message).split('\n')[0]}` };
    }
  }
  R.raw = parts;
  R.A = analyse(list, parts, nv.major);
  R.T = tables(R.A);
  R.targetRows = targets(R.A);
  return R;
}

async function main() {
  installCleanup();
  requireBuilt();
  const snapshot = !flag('no-snapshot') && !opt('agent-register');
  if (snapshot) snapshotBuild();
  const started = Date.now();
  const M = machine();
  const metrics = metricsEnvOf(path.dirname(agentRegister)); // the build under test (register.js sits in build/)
  if (!metrics) M.metricsSkipped = "agent + metrics: not run (this build's `otel-agent config` does not accept TRACING_METRICS=otlp).";
  const baselineRegister = opt('baseline-register') ? path.resolve(opt('baseline-register')) : undefined;
  const all = (urls) => variants({ receivers: urls, agentRegister, metrics, baselineRegister });
  const list = selectVariants(all({ otlp: 'http://127.0.0.1:4317', datadog: '', apm: '' }), opt('variants')).map((v) => v.id);
  const versions = nodeVersions(NODE_SPECS);
  const perVariantLoad = CFG.idleMs / 1000 + CFG.warmupSec + CFG.usersSec + 2 * CFG.otherSec + OPEN_LOOP_ROUTES.length * CFG.openLoopSec + 3;
  const estimate =
    versions.length *
    ((only.includes('load') ? CFG.rounds * list.length * perVariantLoad : 0) +
      (only.includes('startup') ? CFG.startupRuns * list.length * 0.8 : 0) +
      (only.includes('catalogue') ? CFG.startupRuns * 2 * 0.5 : 0) +
      (only.includes('micro') ? (quick ? 3 : 12) : 0) +
      (only.includes('profile') ? 2 * (CFG.profileWarmSec + CFG.profileSec + 3) : 0));
  log(
    `bench: ${M.cores} cores, bench on node ${M.node}; app on ${versions.map((v) => v.version).join(', ')}; parts: ${only.join(', ')}${quick ? ' (quick)' : ''}; about ${Math.ceil(estimate / 10) * 10} s`,
  );
  log(
    `agent: ${path.relative(ROOT, agentRegister)}${snapshot ? ' (copy of build/ taken at start)' : ''}; variants: ${list.join(', ')}${metrics ? '' : ' (agent + metrics left out: TRACING_METRICS not in this build)'}`,
  );

  const runs = [];
  let upstream;
  let listed;
  try {
    await startReceiver();
    log(`receivers: otlp ${receiver.urls.otlp}, datadog ${receiver.urls.datadog}, apm ${receiver.urls.apm}`);
    listed = all(receiver.urls).filter((v) => list.includes(v.id));
    upstream = await spawnListening({ script: path.join(__dirname, 'apps', 'upstream-server.js') });
    const upstreamUrl = `http://127.0.0.1:${upstream.fields[0]}/inventory`;
    for (const nv of versions) runs.push(await runNodeVersion(nv, listed, upstreamUrl));
  } finally {
    if (upstream) await stop(upstream.child, 0);
    if (receiver) {
      receiver.child.disconnect();
      await stop(receiver.child, 2000);
    }
  }

  const elapsed = (Date.now() - started) / 1000;
  M.loadavgEnd = loadavgNow();
  const shown = [...runs].sort((a, b) => Number(b.major) - Number(a.major));
  for (const r of runs) {
    log(`\n######## ${r.version}\n`);
    for (const t of r.T) log(`${t.title}\n${textTable(t.cols, t.rows)}\n`);
    if (r.targetRows.length) log(`Targets of earlier issues\n${textTable(TARGET_COLS, r.targetRows)}\n`);
    if (r.A.profile && r.A.profile.components) {
      log(
        `Profile: agent 100% minus bare, µs/request by component\n${textTable(
          [
            { title: 'component', align: 'left' },
            { title: 'bare', align: 'right' },
            { title: 'agent', align: 'right' },
            { title: 'added', align: 'right' },
          ],
          r.A.profile.components.map((c) => [c.component, f1(c.baseline), f1(c.target), signed(c.delta, f1)]),
        )}\n`,
      );
    }
    for (const n of notesOf(r.A)) log(`note: ${n}`);
  }
  if (only.includes('load') || only.includes('startup')) {
    const P = peerTable(shown, listed);
    log(`\nSide by side\n${textTable(P.cols, P.rows)}\n`);
    const G = goalTable(shown);
    log(`Goals (issue 13)\n${textTable(G.cols, G.rows)}\n`);
    for (const r of shown) if (r.A.hostNoise) log(`host during the ${r.version} load phase: ${describeHostNoise(r.A.hostNoise)}`);
  }
  if (M.metricsSkipped) log(`note: ${M.metricsSkipped}`);
  log(`\n${M.cores} cores, bench on node ${M.node}, ${M.date}, ${elapsed.toFixed(0)} s; load average ${M.loadavg} at start, ${M.loadavgEnd} at end`);

  const tmp = path.join(ROOT, '.tmp', 'bench');
  fs.mkdirSync(tmp, { recursive: true });
  fs.writeFileSync(
    path.join(tmp, 'last-run.json'),
    JSON.stringify({ machine: M, config: CFG, only, quick, variants: list, runs: runs.map(({ T: _T, ...r }) => r) }, null, 1),
  );
  if (writeReport) {
    fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), renderMarkdown(runs, listed, M, elapsed));
    log('wrote BENCHMARKS.md');
  } else {
    log(`(BENCHMARKS.md not written: ${quick ? '--quick' : only.length < SECTIONS.length ? '--only' : '--no-write'}; raw results in .tmp/bench/last-run.json)`);
  }
  const exportFailures = runs.flatMap((r) => Object.values(r.A.exportFailures).map((f) => `${r.version}: ${f}`));
  const startFailures = runs.flatMap((r) =>
    Object.entries(r.A.failures)
      .filter(([, f]) => f.startsWith('did not start'))
      .map(([id, f]) => `${r.version}: ${id} ${f}`),
  );
  if (exportFailures.length || startFailures.length) {
    console.error(
      `\nbench: FAILED: ${[...startFailures, ...exportFailures].join('; ')}.\n` +
        'A variant that did not run, or that exports nothing at 100% sampling, makes the comparison a lie: fix it before reading the figures.',
    );
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(`bench failed: ${err && err.stack ? err.stack : err}`);
  process.exitCode = 1;
  require('./lib/proc').killAll();
});
