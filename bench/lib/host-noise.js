'use strict';
/**
 * How noisy the host was during a run, from readings the run already has or can take for free: the
 * CPU steal time of the whole machine (/proc/stat: time the hypervisor gave this VM's vCPUs to someone
 * else), how much bare node's own CPU per request moved from round to round, and how it compares with
 * issue 13's reference. Bare node does the same work in every round, so its spread and its distance
 * from the reference are the host's, and a run where they are large is one whose absolute figures (µs,
 * ms, req/s) are the host's too: only the ratios measured within one round stay comparable. Readers of
 * BENCHMARKS.md get the reading, and a flag when it is high.
 */
const fs = require('node:fs');

/**
 * Above these a run is flagged noisy. A host that is slow all along is not caught by the spread (the
 * run of 2026-12-03 08:37: bare at 3-4x the CPU per request of earlier runs, yet 1.17x / 1.24x between
 * rounds, with 1-5% steal sampled): the report shows bare's absolute figures beside it for that.
 */
const NOISY_STEAL_SHARE = 0.02;
const NOISY_BARE_SPREAD = 1.25;
/**
 * Bare node's CPU per request on /users/:id when issue 13 was filed, on a machine of this kind (its
 * table: Node 24.22 16 µs, Node 20.20 66 µs): a run whose bare needs far more ran on a slower or
 * busier host, and its absolute figures are that host's.
 */
const REFERENCE_BARE_CPU_US = { 24: 16, 20: 66 };
const SLOW_HOST_FACTOR = 1.5;

/** The machine's CPU time counters (jiffies, all CPUs) or undefined without /proc. */
function cpuTimes() {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    return cpuTimesOf(line);
  } catch {
    return undefined;
  }
}

/** `cpu  user nice system idle iowait irq softirq steal guest guest_nice` -> { total, steal } (guest time is inside user). */
function cpuTimesOf(line) {
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu') return undefined;
  const values = fields.slice(1, 9).map(Number);
  if (values.length < 8 || values.some((v) => !Number.isFinite(v))) return undefined;
  return { total: values.reduce((a, b) => a + b, 0), steal: values[7] };
}

/** The share of the machine's CPU time that was stolen between two readings (undefined when unknown). */
function stealShareBetween(before, after) {
  if (!before || !after) return undefined;
  const total = after.total - before.total;
  return total > 0 ? (after.steal - before.steal) / total : undefined;
}

/**
 * { bareMin, bareMax, bareSpread, slowdown, stealShare, noisy, reasons[] } from bare's CPU µs per
 * request in each round (non-finite values ignored), the steal share over the same time, and the
 * Node major (for the reference figure; slowdown is NaN without one).
 */
function hostNoise(bareCpuUsPerRound, stealShare, major) {
  const bare = bareCpuUsPerRound.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  const bareMin = bare.length ? bare[0] : NaN;
  const bareMax = bare.length ? bare[bare.length - 1] : NaN;
  const bareSpread = bare.length > 1 ? bareMax / bareMin : NaN;
  const reference = REFERENCE_BARE_CPU_US[major];
  const slowdown = reference && bare.length ? bare[Math.floor(bare.length / 2)] / reference : NaN;
  const reasons = [];
  if (slowdown > SLOW_HOST_FACTOR) reasons.push(`bare node needed ${slowdown.toFixed(1)}x the CPU per request of issue 13's measurement (${reference} µs)`);
  if (bareSpread > NOISY_BARE_SPREAD) reasons.push(`bare node's CPU per request moved ${bareSpread.toFixed(2)}x between rounds (over ${NOISY_BARE_SPREAD}x)`);
  if (stealShare > NOISY_STEAL_SHARE)
    reasons.push(`${(stealShare * 100).toFixed(1)}% of the CPU time was stolen by the hypervisor (over ${NOISY_STEAL_SHARE * 100}%)`);
  return { bareMin, bareMax, bareSpread, slowdown, stealShare, noisy: reasons.length > 0, reasons };
}

/** One line for the report. */
function describeHostNoise(n) {
  const parts = [];
  if (Number.isFinite(n.bareMin))
    parts.push(
      Number.isFinite(n.bareSpread)
        ? `bare node's CPU per request on /users/:id ${n.bareMin.toFixed(0)}-${n.bareMax.toFixed(0)} µs over the rounds (${n.bareSpread.toFixed(2)}x)`
        : `bare node's CPU per request on /users/:id ${n.bareMin.toFixed(0)} µs (one round)`,
    );
  parts.push(n.stealShare === undefined ? 'CPU steal unknown (no /proc/stat)' : `CPU steal ${(n.stealShare * 100).toFixed(1)}% of the load phase`);
  return `${parts.join('; ')}${n.noisy ? `. **Noisy host**: ${n.reasons.join('; ')}: read the ratios, not the absolute figures.` : '.'}`;
}

module.exports = { cpuTimes, cpuTimesOf, stealShareBetween, hostNoise, describeHostNoise };
