/**
 * `otel-agent report` on what the agent really writes: two instrumented express services
 * (frontend calls backend with fetch) exporting to one file each, the CLI run as a user runs it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { REPO_ROOT, fixture } from '../helpers/paths';
import type { Report } from '../../src/report/model';
import { decodeOtlpJson } from '../helpers/receivers/otlp-decode';

const CLI = path.join(REPO_ROOT, 'build', 'src', 'cli', 'main.js');
const RAW_EMAIL = 'alice@example.com';

function runReport(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, 'report', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Table rows split into cells (columns are separated by two or more spaces). */
function rowsOf(text: string): string[][] {
  return text.split('\n').map((line) => line.trim().split(/ {2,}/));
}

describe('otel-agent report on two real services', function () {
  this.timeout(60_000);
  let dir: string;
  let frontendFile: string;
  let backendFile: string;
  let failingTraceId: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-report-it-'));
    frontendFile = path.join(dir, 'frontend.jsonl');
    backendFile = path.join(dir, 'backend.jsonl');
    const exportEnv = { TRACING_EXPORTER: 'file', TRACING_SCHEDULE_DELAY_MS: '100', TRACING_LOG_LEVEL: 'warn' };
    const apps: RunningApp[] = [];
    try {
      const backend = startApp(fixture('report/backend-app.js'), {
        env: { ...exportEnv, TRACING_SERVICE_NAME: 'backend', TRACING_FILE_PATH: backendFile },
      });
      apps.push(backend);
      const backendPort = await backend.port();
      const frontend = startApp(fixture('report/frontend-app.js'), {
        env: { ...exportEnv, TRACING_SERVICE_NAME: 'frontend', TRACING_FILE_PATH: frontendFile, BACKEND_URL: `http://127.0.0.1:${backendPort}` },
      });
      apps.push(frontend);
      const base = `http://127.0.0.1:${await frontend.port()}`;
      for (let id = 1; id <= 3; id++) expect((await fetch(`${base}/orders/${id}`)).status).to.equal(200);
      const failing = await fetch(`${base}/checkout`);
      expect(failing.status).to.equal(502);
      await failing.text();
    } finally {
      // SIGTERM: the agent flushes the last batch on the way out.
      for (const app of apps.reverse()) await app.stop('SIGTERM');
    }
    // The file exporter writes OTLP/JSON, one ExportTraceServiceRequest per line: what any OTLP tool reads.
    const backendSpans = fs
      .readFileSync(backendFile, 'utf8')
      .trim()
      .split('\n')
      .flatMap((line) => decodeOtlpJson(line, 'otlp-http'));
    expect(backendSpans.map((span) => span.resource['service.name'])).to.include('backend');
    failingTraceId = backendSpans.find((span) => span.attributes['http.route'] === '/pay')!.traceId;
  });

  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints each service route with its count, the failing trace with its masked message, and the edge', () => {
    const { status, stdout, stderr } = runReport([frontendFile, backendFile]);
    expect(status, stderr).to.equal(0);
    const rows = rowsOf(stdout);
    const latency = (service: string, route: string) => rows.find((row) => row[0] === service && row[1] === route);
    expect(latency('frontend', '/orders/:id')?.slice(2, 4)).to.deep.equal(['3', '0 (0.0%)']);
    expect(latency('frontend', '/checkout')?.slice(2, 4)).to.deep.equal(['1', '1 (100.0%)']);
    expect(latency('backend', '/items/:id')?.slice(2, 4)).to.deep.equal(['3', '0 (0.0%)']);
    expect(latency('backend', '/pay')?.slice(2, 4)).to.deep.equal(['1', '1 (100.0%)']);

    expect(stdout).to.include('Errors: 1 trace with errors');
    const errorRow = rows.find((row) => row[0] === failingTraceId);
    expect(errorRow?.slice(2)).to.deep.equal(['frontend /checkout', '502', 'Error: card declined for a***@example.com']);

    expect(rows).to.deep.include(['frontend', 'backend', '4', '1']);
    expect(stdout).to.include(`Trace ${failingTraceId}`);
    expect(stdout + stderr).not.to.include(RAW_EMAIL);
  });

  it('--json prints the Report: routes, the error trace with its tree, the edge A -> B', () => {
    const { status, stdout, stderr } = runReport([backendFile, frontendFile, '--json']);
    expect(status, stderr).to.equal(0);
    const report = JSON.parse(stdout) as Report;
    expect(report.input).to.deep.include({ badLines: 0, filteredOut: 0 });
    const counts = Object.fromEntries(report.latency.map((row) => [`${row.service} ${row.operation}`, [row.count, row.errorCount]]));
    expect(counts).to.deep.equal({
      'frontend /orders/:id': [3, 0],
      'frontend /checkout': [1, 1],
      'backend /items/:id': [3, 0],
      'backend /pay': [1, 1],
    });
    expect(report.errors.total).to.equal(1);
    expect(report.errors.traces[0]).to.deep.include({
      traceId: failingTraceId,
      service: 'frontend',
      operation: '/checkout',
      statusCode: 502,
      exceptionType: 'Error',
      exceptionMessage: 'card declined for a***@example.com',
    });
    expect(report.graph.edges).to.deep.equal([{ from: 'frontend', to: 'backend', calls: 4, errors: 1, uninstrumented: false }]);
    const services = new Set(report.errorTraces[0].spans.map((span) => span.service));
    expect(Array.from(services).sort()).to.deep.equal(['backend', 'frontend']);
    expect(report.slowest).to.have.length(4);
    expect(stdout).not.to.include(RAW_EMAIL);
  });

  it('--trace prints the failing trace across both files with its attributes and events', () => {
    const { status, stdout, stderr } = runReport([frontendFile, backendFile, '--trace', failingTraceId]);
    expect(status, stderr).to.equal(0);
    expect(stdout).to.match(/SERVER frontend GET \/checkout +[\d.]+ ms {2}ERROR/);
    expect(stdout).to.match(/SERVER backend POST \/pay +[\d.]+ ms {2}ERROR/);
    expect(stdout).to.include('event exception at');
    expect(stdout).to.include('exception.message: card declined for a***@example.com');
    expect(stdout).to.include('http.route: /pay');
    expect(stdout).not.to.include(RAW_EMAIL);
  });

  it('--service backend keeps backend routes and the edge into backend', () => {
    const report = JSON.parse(runReport([frontendFile, backendFile, '--json', '--service', 'backend']).stdout) as Report;
    expect(report.latency.map((row) => row.service)).to.deep.equal(['backend', 'backend']);
    expect(report.graph.edges.map((edge) => `${edge.from}->${edge.to}`)).to.deep.equal(['frontend->backend']);
  });
});
