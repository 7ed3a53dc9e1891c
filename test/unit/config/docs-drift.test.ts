/**
 * The generated docs must match the config table: regenerate with `npm run gen:config-docs`.
 * Whole texts are compared, so any stale line fails.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { renderEnvExample, renderReadmeTable } from '../../../src/config';

// At run time __dirname is build/test/unit/config.
const REPO_ROOT = path.resolve(__dirname, '../../../..');
const START_MARKER = '<!-- config-table:start -->';
const END_MARKER = '<!-- config-table:end -->';

describe('config: generated docs', () => {
  it('otel-agent.env.example is up to date (npm run gen:config-docs)', () => {
    const file = path.join(REPO_ROOT, 'otel-agent.env.example');
    expect(fs.existsSync(file), `${file} exists`).to.equal(true);
    expect(fs.readFileSync(file, 'utf8')).to.equal(renderEnvExample());
  });

  it('the README config table is up to date (npm run gen:config-docs)', function () {
    const file = path.join(REPO_ROOT, 'README.md');
    const readme = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const start = readme.indexOf(START_MARKER);
    const end = readme.indexOf(END_MARKER, start + START_MARKER.length);
    if (start < 0 || end < 0) this.skip();
    const between = readme.slice(start + START_MARKER.length, end);
    expect(between.trim()).to.equal(renderReadmeTable().trim());
  });

  it('the env example lists every TRACING_* variable with its doc line', () => {
    const example = renderEnvExample();
    const { ALL_OPTIONS } = require('../../../src/config') as typeof import('../../../src/config');
    for (const row of ALL_OPTIONS) {
      expect(example).to.include(`# ${row.doc}\n`);
      if (row.envVar !== undefined) expect(example).to.match(new RegExp(`^# ${row.envVar}=`, 'm'));
      for (const fallback of row.otelFallbacks) expect(example).to.include(fallback.envVar);
    }
  });
});
