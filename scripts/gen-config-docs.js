#!/usr/bin/env node
'use strict';
/**
 * Regenerates the config docs from the config table (src/config/schema.ts), after `npm run build`:
 *  - otel-agent.env.example, whole file;
 *  - README.md, the text between <!-- config-table:start --> and <!-- config-table:end -->.
 * test/unit/config/docs-drift.test.ts fails when either is stale.
 */
const fs = require('fs');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..');
const { renderEnvExample, renderReadmeTable } = require(path.join(repoRoot, 'build/src/config/render-docs.js'));

const START_MARKER = '<!-- config-table:start -->';
const END_MARKER = '<!-- config-table:end -->';

function writeEnvExample() {
  const file = path.join(repoRoot, 'otel-agent.env.example');
  fs.writeFileSync(file, renderEnvExample());
  console.log(`wrote ${path.relative(repoRoot, file)}`);
}

function updateReadme() {
  const file = path.join(repoRoot, 'README.md');
  if (!fs.existsSync(file)) {
    console.log('note: README.md not found; skipping the config table');
    return;
  }
  const readme = fs.readFileSync(file, 'utf8');
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER, start + START_MARKER.length);
  if (start < 0 || end < 0) {
    console.log(`note: README.md has no ${START_MARKER} ... ${END_MARKER} markers; skipping the config table`);
    return;
  }
  const updated = `${readme.slice(0, start + START_MARKER.length)}\n${renderReadmeTable()}${readme.slice(end)}`;
  if (updated === readme) {
    console.log('README.md config table is up to date');
    return;
  }
  fs.writeFileSync(file, updated);
  console.log('updated the config table in README.md');
}

writeEnvExample();
updateReadme();
