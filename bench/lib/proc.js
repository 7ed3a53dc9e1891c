'use strict';
/**
 * Child processes of the bench: spawn, wait for the `LISTENING` line, stop, and always clean up
 * (every child is SIGKILLed when the bench exits, is interrupted or crashes).
 */
const { spawn, fork } = require('node:child_process');

const children = new Set();

function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
}

let installed = false;
function installCleanup() {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping children\n`);
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err && err.stack ? err.stack : err}\n`);
    killAll();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: unhandled rejection: ${err && err.stack ? err.stack : err}\n`);
    killAll();
    process.exit(1);
  });
}

function track(child) {
  installCleanup();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Env for a child: the bench's env minus NODE_OPTIONS and every variable an agent under test reads
 * (ours and upstream's TRACING_* / OTEL_*, dd-trace's DD_*, Elastic's ELASTIC_APM_*), plus `extra`:
 * a variable left in the shell must not change what a variant measures.
 */
const AGENT_ENV = /^(TRACING_|OTEL_|DD_|ELASTIC_APM_)/;
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (AGENT_ENV.test(k) || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return Object.assign(env, extra);
}

/**
 * Spawns `node <nodeArgs> <script>` (`execPath`: which node binary, default the bench's own) and resolves when it prints `LISTENING <a> [<b>]` on stdout.
 * Resolves { child, t0, tListening, ms, fields, stderr() }; rejects on exit or timeout.
 */
function spawnListening({ script, nodeArgs = [], env = {}, timeoutMs = 20_000, ipc = false, cwd, execPath = process.execPath }) {
  return new Promise((resolve, reject) => {
    const stdio = ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
    const t0 = process.hrtime.bigint();
    const child = track(
      (ipc ? fork : spawn)(ipc ? script : execPath, ipc ? [] : [...nodeArgs, script], {
        env: cleanEnv(env),
        stdio,
        cwd,
        execArgv: ipc ? nodeArgs : undefined,
        execPath: ipc ? execPath : undefined,
      }),
    );
    let out = '';
    let err = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${script}: no LISTENING line within ${timeoutMs} ms\n${err}`)), timeoutMs);
    function finish(error, value) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) {
        stop(child, 0);
        reject(error);
      } else resolve(value);
    }
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => {
      if (err.length < 64 * 1024) err += d;
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      if (done) return;
      const tLine = process.hrtime.bigint();
      out += d;
      const m = /^LISTENING (\S+)(?: (\S+))?$/m.exec(out);
      if (m) {
        finish(null, {
          child,
          t0,
          tListening: tLine,
          ms: Number(tLine - t0) / 1e6,
          fields: [m[1], m[2]],
          stderr: () => err,
        });
      }
    });
    child.once('exit', (code, signal) => finish(new Error(`${script} exited (${signal || code}) before listening\n${err.slice(-4000)}`)));
    child.once('error', (e) => finish(e));
  });
}

/** SIGTERM, then SIGKILL after `graceMs` (0: SIGKILL at once). Resolves when the child has exited. */
function stop(child, graceMs = 1000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = () => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    };
    const timer = graceMs > 0 ? setTimeout(kill, graceMs) : null;
    const safety = setTimeout(resolve, graceMs + 5000); // bounded even if 'exit' never comes
    child.once('exit', () => {
      if (timer) clearTimeout(timer);
      clearTimeout(safety);
      resolve();
    });
    if (graceMs > 0) {
      try {
        child.kill('SIGTERM');
      } catch {
        kill();
      }
    } else kill();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { spawnListening, stop, killAll, cleanEnv, installCleanup, sleep };
