/** `otel-agent config` as a user runs it: a real process, a custom environment, a temp app directory. */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { expect } from 'chai';
import { createTempApp, type TempApp } from './fixtures';

// At run time __dirname is build/test/unit/config; the bin is build/src/cli/main.js.
const MAIN = path.resolve(__dirname, '../../../src/cli/main.js');
const SECRET = 's3cret-token';

function runCli(args: string[], env: Record<string, string>, cwd: string) {
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 20000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Table rows split into columns (two or more spaces separate them). */
function rowsOf(table: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of table.split('\n')) {
    const columns = line.split(/ {2,}/);
    if (columns.length === 3) rows.set(columns[0], columns);
  }
  return rows;
}

describe('otel-agent CLI', () => {
  let app: TempApp;
  const env = {
    TRACING_HEADERS: `authorization=Bearer%20${SECRET},bad key=${SECRET}`,
    TRACING_SAMPLE_RATE: '0.25',
    OTEL_SERVICE_NAME: 'checkout-api',
    TRACING_EXPORTER: 'otlp,kafka',
  };
  before(() => {
    app = createTempApp();
  });
  after(() => app.remove());

  it('config prints an aligned table of values and sources, redacted headers and the problems', () => {
    const { status, stdout, stderr } = runCli(['config'], env, app.root);
    expect(status, stderr).to.equal(0);
    const rows = rowsOf(stdout);
    expect(rows.get('VARIABLE')).to.deep.equal(['VARIABLE', 'VALUE', 'SOURCE']);
    expect(rows.get('TRACING_SAMPLE_RATE')).to.deep.equal(['TRACING_SAMPLE_RATE', '0.25', 'TRACING_SAMPLE_RATE']);
    expect(rows.get('TRACING_SERVICE_NAME')).to.deep.equal(['TRACING_SERVICE_NAME', 'checkout-api', 'OTEL_SERVICE_NAME']);
    expect(rows.get('TRACING_SERVICE_VERSION')).to.deep.equal(['TRACING_SERVICE_VERSION', '2.3.4', 'package.json']);
    expect(rows.get('TRACING_EXPORTER')).to.deep.equal(['TRACING_EXPORTER', 'otlp', 'TRACING_EXPORTER']);
    expect(rows.get('TRACING_HEADERS')).to.deep.equal(['TRACING_HEADERS', 'authorization=***', 'TRACING_HEADERS']);
    expect(rows.get('TRACING_LOG_LEVEL')).to.deep.equal(['TRACING_LOG_LEVEL', 'warn', 'default']);
    // Aligned: every table row starts its VALUE column at the same offset.
    const tableLines = stdout.split('\n\n')[0].split('\n');
    const valueOffsets = new Set(tableLines.map((line) => line.search(/ {2}\S/) + 2));
    expect(valueOffsets.size).to.equal(1);
    expect(stdout).to.include('Problems (2):');
    expect(stdout).to.match(/TRACING_EXPORTER="otlp,kafka" names an unknown exporter "kafka"/);
    expect(stdout).to.include('"bad key"');
    expect(stdout + stderr).not.to.include(SECRET);
  });

  it('config --json prints {config, sources, problems} with header values redacted', () => {
    const { status, stdout } = runCli(['config', '--json'], env, app.root);
    expect(status).to.equal(0);
    const parsed = JSON.parse(stdout) as { config: Record<string, unknown>; sources: Record<string, string>; problems: string[] };
    expect(Object.keys(parsed)).to.deep.equal(['config', 'sources', 'problems']);
    expect(parsed.config.sampleRate).to.equal(0.25);
    expect(parsed.config.headers).to.deep.equal({ authorization: '***' });
    expect(parsed.sources.serviceName).to.equal('OTEL_SERVICE_NAME');
    expect(parsed.problems).to.have.lengthOf(2);
    expect(stdout).not.to.include(SECRET);
  });

  it('says so when there are no problems', () => {
    const { status, stdout } = runCli(['config'], {}, app.root);
    expect(status).to.equal(0);
    expect(stdout).to.include('Problems: none');
    expect(rowsOf(stdout).get('TRACING_SERVICE_NAME')).to.deep.equal(['TRACING_SERVICE_NAME', 'acme-checkout', 'package.json']);
  });

  it('--help prints usage and exits 0; an unknown command or option exits 2', () => {
    const help = runCli(['--help'], {}, app.root);
    expect(help.status).to.equal(0);
    expect(help.stdout).to.include('Usage: otel-agent <command>').and.to.include('config');
    const unknown = runCli(['frobnicate'], {}, app.root);
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.include('unknown command "frobnicate"').and.to.include('Usage:');
    expect(runCli(['config', '--bogus'], {}, app.root).status).to.equal(2);
    expect(runCli(['config', '--help'], {}, app.root).status).to.equal(0);
    expect(runCli([], {}, app.root).status).to.equal(2);
  });

  it('loads no @opentelemetry module', () => {
    const script = `
      const { main } = require(${JSON.stringify(MAIN)});
      const code = main(['config', '--json'], { stdout() {}, stderr() {}, env: {}, cwd: process.cwd() });
      const loaded = Object.keys(require.cache).filter((file) => file.includes('@opentelemetry'));
      process.stdout.write(JSON.stringify({ code, loaded }));`;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: app.root, encoding: 'utf8', timeout: 20000 });
    expect(JSON.parse(result.stdout)).to.deep.equal({ code: 0, loaded: [] });
  });
});
