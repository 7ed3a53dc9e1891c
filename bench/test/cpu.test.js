'use strict';
// The bench's CPU per thread kind (bench/lib/cpu.js), read from /proc of a real child process whose
// worker thread spins and whose main thread sleeps: the worker's time must land in its kind.
const { expect } = require('chai');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { cpuOf, cpuDelta, threadKindOf, THREAD_KINDS } = require('../lib/cpu');

const SPIN_MS = 600;

describe('bench CPU by thread kind', () => {
  it('names the kinds from the thread names Node gives (Node 22+), the main thread by its id', () => {
    expect(threadKindOf('node', true)).to.equal('main');
    expect(threadKindOf('MainThread', true)).to.equal('main');
    expect(threadKindOf('V8Worker', false)).to.equal('v8Helpers');
    expect(threadKindOf('WorkerThread', false)).to.equal('workers');
    expect(threadKindOf('libuv-worker', false)).to.equal('other');
    expect(threadKindOf('node', false)).to.equal('other'); // Node 20 names every thread "node"
  });

  it("puts a spinning worker thread's CPU under workers (Node 22+) or other (Node 20), not under main", async function () {
    if (!fs.existsSync(`/proc/${process.pid}/task`)) this.skip();
    this.timeout(20_000);
    const script = `
      const { Worker } = require('node:worker_threads');
      const worker = new Worker('const end = Date.now() + ${SPIN_MS}; while (Date.now() < end); require("node:worker_threads").parentPort.postMessage("done"); setInterval(() => {}, 1000);', { eval: true });
      process.stdout.write('started\\n');
      worker.once('message', () => setTimeout(() => process.stdout.write('spun\\n'), 100));
      setTimeout(() => process.exit(0), 5000);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const lines = [];
      const next = () => new Promise((resolve) => child.stdout.once('data', (d) => resolve(lines.push(String(d)))));
      await next();
      const before = cpuOf(child.pid);
      await next();
      const used = cpuDelta(before, cpuOf(child.pid));
      const namesThreads = fs
        .readdirSync(`/proc/${child.pid}/task`)
        .some((tid) => fs.readFileSync(`/proc/${child.pid}/task/${tid}/comm`, 'utf8').trim() !== 'node');
      const spunIn = namesThreads ? 'workers' : 'other';
      expect(used.threads[spunIn]).to.be.at.least(SPIN_MS / 2);
      expect(used.threads.main).to.be.below(SPIN_MS / 4);
      const sum = THREAD_KINDS.reduce((total, kind) => total + used.threads[kind], 0);
      expect(Math.abs(sum - used.totalMs)).to.be.at.most(50); // the kinds add up to the process (ticks are 10 ms)
    } finally {
      child.kill();
    }
  });
});
