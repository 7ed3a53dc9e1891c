'use strict';
/**
 * Preloaded before the agent by bench/profile.js: the agent's export worker runs with `--cpu-prof`
 * (its execArgv), writing its own .cpuprofile to BENCH_WORKER_PROF_DIR when it exits. Bench-only:
 * the agent itself has no profiling switch.
 */
const workerThreads = require('worker_threads');

const dir = process.env.BENCH_WORKER_PROF_DIR;
if (dir) {
  const AgentWorker = workerThreads.Worker;
  workerThreads.Worker = class ProfiledWorker extends AgentWorker {
    constructor(file, options = {}) {
      super(file, { ...options, execArgv: [...(options.execArgv || []), '--cpu-prof', `--cpu-prof-dir=${dir}`] });
    }
  };
}
