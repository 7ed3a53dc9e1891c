'use strict';
/**
 * CPU time of a process (all threads) and of its main thread, from /proc (Linux only; undefined
 * elsewhere). CPU time per request is far less sensitive to a noisy, shared machine than req/s.
 */
const fs = require('node:fs');

const TICK_MS = 10; // USER_HZ is 100 on Linux

function ticksOf(statPath) {
  const stat = fs.readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15 of stat)
}

const THREAD_KINDS = ['main', 'v8Helpers', 'workers', 'other'];

/**
 * A thread's kind from its name (/proc/<pid>/task/<tid>/comm): Node 22 and later name their threads
 * (`V8Worker`: V8's platform threads, parallel GC and background compiling; `WorkerThread`: a
 * worker_threads Worker, our export worker; `libuv-worker`, ...), Node 20 names them all `node`, so
 * there the split is only main / other.
 */
function threadKindOf(comm, isMain) {
  if (isMain) return 'main';
  if (comm.startsWith('V8Worker')) return 'v8Helpers';
  if (comm.startsWith('WorkerThread')) return 'workers';
  return 'other';
}

/** CPU ms by thread kind, summed over the process's threads (a thread that exited is not counted). */
function threadsOf(pid) {
  const threads = { main: 0, v8Helpers: 0, workers: 0, other: 0 };
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      threads[threadKindOf(comm, tid === String(pid))] += ticksOf(`/proc/${pid}/task/${tid}/stat`) * TICK_MS;
    } catch {
      // the thread exited between the listing and the read
    }
  }
  return threads;
}

/** { totalMs, mainMs, threads: ms by thread kind } or undefined when /proc is not readable. */
function cpuOf(pid) {
  try {
    return { totalMs: ticksOf(`/proc/${pid}/stat`) * TICK_MS, mainMs: ticksOf(`/proc/${pid}/task/${pid}/stat`) * TICK_MS, threads: threadsOf(pid) };
  } catch {
    return undefined;
  }
}

function cpuDelta(before, after) {
  if (!before || !after) return undefined;
  const threads = {};
  for (const kind of THREAD_KINDS) threads[kind] = after.threads[kind] - before.threads[kind];
  return { totalMs: after.totalMs - before.totalMs, mainMs: after.mainMs - before.mainMs, threads };
}

/**
 * Waits until the app is idle: 200 ms in which it used under 10 ms of CPU (all threads), at most
 * SETTLE_MAX_MS. An agent's start-up work (our export worker loading its modules, a peer's own
 * background init) can outlast the fixed idle time on a busy machine; it must not land in the
 * measured windows. Resolves how long it waited (reported in the per-variant table).
 */
const SETTLE_MAX_MS = 3000; // bounded: 2 waits x variants x rounds x Node versions must fit the ~25 min budget
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function settle(pid) {
  const t0 = Date.now();
  let before = cpuOf(pid);
  while (Date.now() - t0 < SETTLE_MAX_MS) {
    await sleep(200);
    const now = cpuOf(pid);
    const used = cpuDelta(before, now);
    if (!used || used.totalMs < 10) break;
    before = now;
  }
  return Date.now() - t0;
}

module.exports = { cpuOf, cpuDelta, settle, threadKindOf, THREAD_KINDS };
