#!/usr/bin/env node
'use strict';
// Installs the test fixtures that need their own dependency tree (express@4 must be installed as
// `express` in its own folder: instrumentations match packages by folder name; the compat suite's
// middleware in test/fixtures/compat, with its own express 4 in compat/express4; the shutdown
// libraries of shutdown-libraries.test.ts pin exact versions; test/fixtures/catalog holds pg, ioredis,
// pino, winston and bunyan for the log-correlation and database tests). Idempotent.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const fixtures = ['test/fixtures/express4', 'test/fixtures/compat', 'test/fixtures/compat/express4', 'test/fixtures/shutdown', 'test/fixtures/catalog'];
for (const fixture of fixtures) {
  const dir = path.join(__dirname, '..', fixture);
  if (fs.existsSync(path.join(dir, 'node_modules', '.package-lock.json'))) continue;
  console.log(`installing ${fixture}`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
}
