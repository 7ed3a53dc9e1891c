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

module.exports = { cpuOf, cpuDelta };
