/**
 * The published shape: `npm pack` -> install the tarball into a separate app -> `node -r
 * @x/otel-agent/register` works there, and the `otel-agent` bin runs.
 */
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runApp } from '../helpers/app-process';
import { REPO_ROOT } from '../helpers/paths';

const APP = `
const http = require('http');
const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
  http.get('http://127.0.0.1:' + server.address().port + '/packed', (res) => {
    res.resume();
    res.on('end', () => server.close());
  });
});
`;

/** Prints the package's own modules loaded so far (paths inside the package, sorted). */
const LIST_AGENT_MODULES = `
const marker = '/node_modules/@x/otel-agent/';
console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes(marker)).map((f) => f.slice(f.indexOf(marker) + marker.length)).sort()));
`;

describe('npm pack and install (integration)', function () {
  this.timeout(300_000);
  let appDir: string;

  before(() => {
    appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-packed-'));
    const packOutput = execFileSync('npm', ['pack', '--json', '--pack-destination', appDir], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [{ filename, files }] = JSON.parse(packOutput);
    const packed = (files as { path: string }[]).map((file) => file.path);
    expect(packed).to.include.members([
      'build/register.js',
      'build/agent-bundle.js',
      'build/src/index.js',
      'build/src/sdk/export-worker.js',
      'build/src/cli/main.js',
      'package.json',
      'otel-agent.env.example',
      // the report page's style and script, inlined into each page at render time
      'assets/report/report.css',
      'assets/report/report-client.js',
    ]);
    expect(packed.filter((file) => file.startsWith('build/test/') || file.startsWith('test/') || file.startsWith('src/'))).to.deep.equal([]);
    fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ name: 'packed-app', version: '3.4.5', private: true }));
    fs.writeFileSync(path.join(appDir, 'app.js'), APP);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', `./${path.basename(filename)}`], {
      cwd: appDir,
      stdio: 'ignore',
    });
  });
  after(() => fs.rmSync(appDir, { recursive: true, force: true }));

  it('node -r @x/otel-agent/register traces the installed app (console exporter)', async () => {
    const result = await runApp(path.join(appDir, 'app.js'), {
      cwd: appDir,
      agent: 'none',
      nodeArgs: ['-r', '@x/otel-agent/register'],
      env: { TRACING_EXPORTER: 'console' },
    });
    expect(result.code, result.stderr).to.equal(0);
    const spans = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const server = spans.find((span) => span.kind === 'SERVER');
    expect(server, result.stdout).to.exist;
    expect(server.attributes['url.path']).to.equal('/packed');
    // service name and version default to the app's package.json
    expect(server.resource['service.name']).to.equal('packed-app');
    expect(server.resource['service.version']).to.equal('3.4.5');
    expect(spans.find((span) => span.kind === 'CLIENT').traceId).to.equal(server.traceId);
  });

  it('the installed agent starts from its one-file bundle (scripts/bundle-agent.js), not from build/src/', async () => {
    const result = await runApp(path.join(appDir, 'app.js'), {
      cwd: appDir,
      agent: 'none',
      nodeArgs: ['-r', '@x/otel-agent/register', '-e', LIST_AGENT_MODULES],
      env: { TRACING_EXPORTER: 'console' },
    });
    expect(result.code, result.stderr).to.equal(0);
    // register.js, the master switch it reads first, and the bundle: nothing else of the package.
    expect(JSON.parse(result.stdout.trim())).to.deep.equal(['build/agent-bundle.js', 'build/register.js', 'build/src/config/master-switch.js']);
  });

  it('the otel-agent bin prints the effective configuration', () => {
    const output = execFileSync(path.join(appDir, 'node_modules', '.bin', 'otel-agent'), ['config'], {
      cwd: appDir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, TRACING_SAMPLE_RATE: '0.25' },
    });
    expect(output).to.match(/TRACING_SAMPLE_RATE\s+0\.25\s+TRACING_SAMPLE_RATE/);
    expect(output).to.match(/TRACING_SERVICE_NAME\s+packed-app\s+package\.json/);
  });
});
