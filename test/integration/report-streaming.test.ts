/**
 * `otel-agent report` streams: on a 4x larger input its peak memory stays about the same, and the
 * counts still add up exactly. The files are synthetic but shaped like the exporter's lines
 * (same keys, realistic attributes, five spans a trace across two services).
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import { REPO_ROOT } from '../helpers/paths';
import type { Report } from '../../src/report/model';

const CLI = path.join(REPO_ROOT, 'build', 'src', 'cli', 'main.js');
const BASE_NANOS = 1_760_000_000_000_000_000n;
const ERROR_EVERY = 50;
const UNINSTRUMENTED_EVERY = 10;

interface Generated {
  file: string;
  lines: number;
  bytes: number;
  traces: number;
  spans: number;
  errors: number;
  uninstrumented: number;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

const RESOURCE = (service: string) =>
  `{"service.name":"${service}","service.version":"1.4.2","telemetry.sdk.language":"nodejs","telemetry.sdk.name":"opentelemetry","telemetry.sdk.version":"2.11.0","host.name":"ip-10-0-3-17","process.pid":4242}`;
const OTLP_KINDS: Record<string, number> = { INTERNAL: 1, SERVER: 2, CLIENT: 3 };
/** OTLP spans per line: the exporter writes one line per batch (TRACING_MAX_EXPORT_BATCH_SIZE, 512 by default). */
const OTLP_BATCH = 512;

/** `{"k":v,...}` as OTLP KeyValues (intValue as a string, as the Collector writes int64). */
function otlpAttributes(json: string): string {
  const kv = Object.entries(JSON.parse(json) as Record<string, string | number>).map(([key, value]) => ({
    key,
    value: typeof value === 'number' ? { intValue: String(value) } : { stringValue: value },
  }));
  return JSON.stringify(kv);
}

/**
 * One OTLP line from the per-span lines of a batch: spans grouped by resource, in the shape of
 * JsonTraceSerializer's output (built from parsed lines: only the OTLP variant pays for it).
 */
function otlpLineOf(spanLines: string[]): string {
  const byService = new Map<string, string[]>();
  for (const line of spanLines) {
    const span = JSON.parse(line);
    const service = span.resource['service.name'] as string;
    const events = (span.events as { name: string; timeUnixNano: string; attributes: object }[]).map(
      (event) =>
        `{"attributes":${otlpAttributes(JSON.stringify(event.attributes))},"name":"${event.name}","timeUnixNano":"${event.timeUnixNano}","droppedAttributesCount":0}`,
    );
    const otlp =
      `{"traceId":"${span.traceId}","spanId":"${span.spanId}"${span.parentSpanId ? `,"parentSpanId":"${span.parentSpanId}"` : ''},"name":"${span.name}","kind":${OTLP_KINDS[span.kind]},` +
      `"startTimeUnixNano":"${span.startTimeUnixNano}","endTimeUnixNano":"${span.endTimeUnixNano}","attributes":${otlpAttributes(JSON.stringify(span.attributes))},"droppedAttributesCount":0,` +
      `"events":[${events.join(',')}],"droppedEventsCount":0,"status":{"code":${span.status.code === 'ERROR' ? 2 : 0}},"links":[],"droppedLinksCount":0,"flags":257}`;
    const spans = byService.get(service) ?? [];
    spans.push(otlp);
    byService.set(service, spans);
  }
  const resourceSpans = Array.from(
    byService,
    ([service, spans]) =>
      `{"resource":{"attributes":${otlpAttributes(RESOURCE(service))},"droppedAttributesCount":0},"scopeSpans":[{"scope":{"name":"@opentelemetry/instrumentation-http","version":"0.222.0"},"spans":[${spans.join(',')}]}]}`,
  );
  return `{"resourceSpans":[${resourceSpans.join(',')}]}\n`;
}

/**
 * Writes `traces` traces; lines are built as strings (no JSON.stringify) so 160 MB takes seconds.
 * `otlp`: the same spans as OTLP/JSON lines of OTLP_BATCH spans, as the file exporter writes them.
 */
function generate(file: string, traces: number, format: 'spans' | 'otlp' = 'spans'): Generated {
  const fd = fs.openSync(file, 'w');
  let chunk = '';
  let bytes = 0;
  let spans = 0;
  let lines = 0;
  const batch: string[] = [];
  let errors = 0;
  let uninstrumented = 0;
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const flush = () => {
    if (format === 'otlp') {
      batch.push(...chunk.split('\n').filter((line) => line !== ''));
      chunk = '';
      while (batch.length >= OTLP_BATCH || (batch.length > 0 && last)) {
        chunk += otlpLineOf(batch.splice(0, OTLP_BATCH));
        lines++;
      }
    } else {
      lines += chunk.split('\n').length - 1;
    }
    bytes += fs.writeSync(fd, chunk);
    chunk = '';
  };
  let last = false;
  for (let n = 1; n <= traces; n++) {
    const traceId = hex(n, 32);
    const id = (k: number) => hex(n * 8 + k, 16);
    const startNs = BASE_NANOS + BigInt(n) * 10_000_000n;
    const totalMs = 5 + Math.floor(random() * 200);
    const error = n % ERROR_EVERY === 0;
    const extraCall = n % UNINSTRUMENTED_EVERY === 0;
    const span = (
      spanId: string,
      parent: string,
      service: string,
      name: string,
      kind: string,
      offsetMs: number,
      ms: number,
      attributes: string,
      failed: boolean,
      events = '[]',
    ) => {
      const start = startNs + BigInt(Math.round(offsetMs * 1e6));
      const end = start + BigInt(Math.round(ms * 1e6));
      spans++;
      return (
        `{"traceId":"${traceId}","spanId":"${spanId}","parentSpanId":"${parent}","name":"${name}","kind":"${kind}",` +
        `"startTimeUnixNano":"${start}","endTimeUnixNano":"${end}","durationMs":${ms},"attributes":{${attributes}},"events":${events},"links":[],` +
        `"status":{"code":"${failed ? 'ERROR' : 'UNSET'}"},"resource":{"service.name":"${service}","service.version":"1.4.2","telemetry.sdk.language":"nodejs","telemetry.sdk.name":"opentelemetry","telemetry.sdk.version":"2.11.0","host.name":"ip-10-0-3-17","process.pid":4242},` +
        `"scope":{"name":"@opentelemetry/instrumentation-http","version":"0.222.0"}}\n`
      );
    };
    const exception = `[{"name":"exception","timeUnixNano":"${startNs}","attributes":{"exception.type":"Error","exception.message":"card declined for a***@example.com","exception.stacktrace":"Error: card declined for a***@example.com\\n    at /srv/backend/app.js:13:9\\n    at Layer.handleRequest (/srv/node_modules/router/lib/layer.js:169:33)"}}]`;
    const backendMs = totalMs * 0.6;
    // Children end first, so the exporter writes them first.
    chunk += span(
      id(5),
      id(4),
      'backend',
      'request handler',
      'INTERNAL',
      3,
      backendMs - 1,
      `"http.route":"/pay","express.name":"/pay","express.type":"request_handler"`,
      error,
      error ? exception : '[]',
    );
    chunk += span(
      id(4),
      id(3),
      'backend',
      'POST /pay',
      'SERVER',
      2,
      backendMs,
      `"http.request.method":"POST","url.scheme":"http","server.address":"127.0.0.1","server.port":8081,"network.peer.address":"127.0.0.1","network.peer.port":51234,"url.path":"/pay","user_agent.original":"node","http.response.status_code":${error ? 500 : 200},"http.route":"/pay"`,
      error,
    );
    chunk += span(
      id(3),
      id(2),
      'frontend',
      'POST',
      'CLIENT',
      1,
      backendMs + 1,
      `"http.request.method":"POST","url.full":"http://127.0.0.1:8081/pay","server.address":"127.0.0.1","server.port":8081,"network.peer.address":"127.0.0.1","http.response.status_code":${error ? 500 : 200}`,
      error,
    );
    if (extraCall) {
      chunk += span(
        id(6),
        id(2),
        'frontend',
        'GET',
        'CLIENT',
        backendMs + 2,
        1.5,
        `"http.request.method":"GET","url.full":"http://payments.example.net:443/v1/rates","server.address":"payments.example.net","server.port":443,"http.response.status_code":200`,
        false,
      );
      uninstrumented++;
    }
    chunk += span(
      id(2),
      id(1),
      'frontend',
      'request handler',
      'INTERNAL',
      0.5,
      totalMs - 1,
      `"http.route":"/checkout","express.name":"/checkout","express.type":"request_handler"`,
      false,
    );
    chunk += span(
      id(1),
      '',
      'frontend',
      'GET /checkout',
      'SERVER',
      0,
      totalMs,
      `"http.request.method":"GET","url.scheme":"http","server.address":"127.0.0.1","server.port":8080,"network.peer.address":"127.0.0.1","network.peer.port":40000,"url.path":"/checkout","user_agent.original":"curl/8.5.0","http.response.status_code":${error ? 502 : 200},"http.route":"/checkout"`,
      error,
    );
    if (error) errors++;
    if (chunk.length > 1 << 20) flush();
  }
  last = true;
  flush();
  fs.closeSync(fd);
  return { file, lines, bytes, traces, spans, errors, uninstrumented };
}

/** Runs the CLI and samples its peak RSS (VmHWM) from /proc until it exits. */
function runMeasured(file: string): Promise<{ code: number | null; stdout: string; stderr: string; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'report', file, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    const sample = () => {
      try {
        const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
        for (const key of ['VmHWM', 'VmRSS']) {
          const kb = Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
          if (kb > peakKb) peakKb = kb;
        }
      } catch {
        // exited between samples: the last sample stands
      }
    };
    const timer = setInterval(sample, 50);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      sample();
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr, peakRssMb: peakKb / 1024 });
    });
  });
}

function expectCounts(report: Report, generated: Generated): void {
  expect(report.input).to.deep.include({ lines: generated.lines, spans: generated.spans, badLines: 0 });
  const counts = Object.fromEntries(report.latency.map((row) => [`${row.service} ${row.operation}`, [row.count, row.errorCount]]));
  expect(counts).to.deep.equal({
    'frontend /checkout': [generated.traces, generated.errors],
    'backend /pay': [generated.traces, generated.errors],
  });
  expect(report.errors.total).to.equal(generated.errors);
  expect(report.errors.traces).to.have.length(Math.min(20, generated.errors));
  expect(report.graph.edges).to.deep.equal([
    { from: 'frontend', to: 'backend', calls: generated.traces, errors: generated.errors, uninstrumented: false },
    { from: 'frontend', to: 'payments.example.net:443', calls: generated.uninstrumented, errors: 0, uninstrumented: true },
  ]);
  expect(report.slowest).to.have.length(5);
  expect(report.slowest[0].spans.length).to.be.at.least(5);
}

describe('otel-agent report streams large inputs', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-report-big-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const format of ['spans', 'otlp'] as const) {
    it(`${format === 'otlp' ? 'OTLP/JSON batches' : 'per-span lines'}: peak RSS on a 4x input stays under 1.5x of the 1x input, and every count is exact`, async () => {
      const results: { mb: number; peakRssMb: number }[] = [];
      for (const [name, traces] of [
        ['1x.jsonl', 10_000],
        ['4x.jsonl', 40_000],
      ] as const) {
        const generated = generate(path.join(dir, name), traces, format);
        const run = await runMeasured(generated.file);
        fs.rmSync(generated.file);
        expect(run.code, run.stderr).to.equal(0);
        expectCounts(JSON.parse(run.stdout) as Report, generated);
        results.push({ mb: generated.bytes / 2 ** 20, peakRssMb: run.peakRssMb });
      }
      const [small, large] = results;
      console.log(
        `      input ${small.mb.toFixed(0)} MB: peak RSS ${small.peakRssMb.toFixed(0)} MB; input ${large.mb.toFixed(0)} MB: peak RSS ${large.peakRssMb.toFixed(0)} MB`,
      );
      expect(large.peakRssMb).to.be.below(small.peakRssMb * 1.5);
      expect(large.peakRssMb).to.be.below(250);
    });
  }
});
