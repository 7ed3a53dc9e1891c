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

/** { totalMs, mainMs } or undefined when /proc is not readable. */
function cpuOf(pid) {
  try {
    return { totalMs: ticksOf(`/proc/${pid}/stat`) * TICK_MS, mainMs: ticksOf(`/proc/${pid}/task/${pid}/stat`) * TICK_MS };
  } catch {
    return undefined;
  }
}

function cpuDelta(before, after) {
  if (!before || !after) return undefined;
  return { totalMs: after.totalMs - before.totalMs, mainMs: after.mainMs - before.mainMs };
}

/**
 * Waits until the app is idle: 200 ms in which it used under 10 ms of CPU (all threads), at most
 * SETTLE_MAX_MS. An agent's start-up work (our export worker loading its modules, a peer's own
 * background init) can outlast the fixed idle time on a busy machine; it must not land in the
 * measured windows. Resolves how long it waited (reported in the per-variant table).
 */
const SETTLE_MAX_MS = 3000; // bounded: 2 waits x variants x rounds x Node versions must fit the ~20 min budget
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

module.exports = { cpuOf, cpuDelta, settle };
