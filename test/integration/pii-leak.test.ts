/**
 * Nothing sensitive leaves the process: every sensitive sample of the project's corpus
 * (test/fixtures/pii/corpus.js, which includes ../shared/pii/samples.json) is sent to a real app under
 * the agent in every position a request can put it in a span: a URL path segment, a query value
 * (plain, `+` for blanks, percent- and double-encoded), an exception message and its stack trace, an
 * outgoing fetch's URL (CLIENT span url.full), a header value, an attribute key and value the app sets,
 * and the tracestate header. It then appears ZERO times, in any readable form, in all the bytes the
 * exporters produced: OTLP gRPC, OTLP HTTP and Jaeger UDP on the wire, the JSON-lines file, the
 * console. Every harmless string of the corpus is exported unchanged.
 */
import { expect } from 'chai';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startApp } from '../helpers/app-process';
import { fixture, REPO_ROOT } from '../helpers/paths';
import { startJaegerUdpReceiver, startOtlpGrpcReceiver, startOtlpHttpReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';

interface Corpus {
  SENSITIVE: { kind: string; text: string; forbidden: string[] }[];
  HARMLESS: string[];
}
const corpus = require(path.join(REPO_ROOT, 'test/fixtures/pii/corpus.js')) as Corpus;

/** W3C tracestate value syntax: anything else makes the propagator drop the header (nothing to leak). */
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

function readableForms(secret: string): string[] {
  const once = encodeURIComponent(secret);
  return [...new Set([secret, once, encodeURIComponent(once), once.replace(/%20/g, '+'), secret.replace(/ /g, '+'), JSON.stringify(secret).slice(1, -1)])];
}

/** Runs `tasks` with at most `limit` in flight: the app answers in parallel, the test stays bounded. */
async function inParallel(tasks: (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** A request of the corpus, and how many SERVER spans it makes (/fail and /fetch call the app's /ok). */
type CorpusRequest = (() => Promise<unknown>) & { serverSpans: number };

/** The requests that put `text` in every position of a span. */
function requestsFor(base: string, text: string, positions: 'all' | 'harmless'): CorpusRequest[] {
  const q = encodeURIComponent;
  const get = (pathAndQuery: string, headers: Record<string, string> = {}): CorpusRequest =>
    Object.assign(() => fetch(base + pathAndQuery, { headers }).then((r) => r.text()), { serverSpans: /^\/(fail|fetch)\?/.test(pathAndQuery) ? 2 : 1 });
  const requests = [
    get(`/fail?msg=${q(text)}`), // exception message + stack trace, url.query, CLIENT span url.full (the app fetches /ok?note=...)
    get(`/path/${q(text)}`), // path segment
    get(`/attrs?key=${q(text)}&value=${q(text)}`), // attribute key and value set by the app
  ];
  if (positions === 'harmless') return requests;
  const ascii = text.replace(/[^\x20-\x7e]/g, '');
  requests.push(
    get(`/fail?msg=${q(text).replace(/%20/g, '+')}`), // `+` for blanks
    get(`/fetch?target=${q(`/ok?ref=${q(q(text))}`)}`), // double-encoded in a CLIENT span URL
    get(`/fail?msg=${text.replace(/[%&#+\s]/g, q)}`), // as raw as a URL can carry it
    get('/header', { 'x-note': ascii }), // header value (into the exception message)
  );
  if (TRACESTATE_VALUE.test(text)) {
    requests.push(get('/ok', { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`, tracestate: `app=${text}` }));
  }
  return requests;
}

async function exportCorpus(env: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-pii-'));
  const tracesFile = path.join(dir, 'traces.jsonl');
  const app = startApp(fixture('pii-app.js'), {
    env: {
      TRACING_FILE_PATH: tracesFile,
      TRACING_SCHEDULE_DELAY_MS: '200',
      TRACING_MAX_QUEUE_SIZE: '200000',
      TRACING_BATCH_SIZE: '512',
      // This test is about masking, not the exit budget: on a loaded machine the exit flush of three
      // exporters (console writing megabytes) can take longer than the default 5 s and drop the tail.
      TRACING_SHUTDOWN_TIMEOUT_MS: '120000',
      ...env,
    },
  });
  let requests: number;
  let serverSpans: number;
  try {
    const base = `http://127.0.0.1:${await app.port()}`;
    const tasks = [
      ...corpus.SENSITIVE.flatMap((sample) => requestsFor(base, sample.text, 'all')),
      ...corpus.HARMLESS.flatMap((text) => requestsFor(base, text, 'harmless')),
    ];
    requests = tasks.length;
    serverSpans = tasks.reduce((sum, task) => sum + task.serverSpans, 0);
    await inParallel(tasks, 8);
    const exit = await app.stop('SIGTERM');
    expect(exit.code, app.stderr).to.equal(0);
  } finally {
    await app.stop('SIGKILL');
  }
  const file = fs.existsSync(tracesFile) ? fs.readFileSync(tracesFile, 'utf8') : '';
  fs.rmSync(dir, { recursive: true, force: true });
  return { requests, serverSpans, file, stdout: app.stdout, stderr: app.stderr };
}

/**
 * A run of digits counts only where it is not part of a longer run: megabytes of exported nanosecond
 * timestamps and ids contain any 7-digit string by chance (`3312834` in `1764593312834000000`).
 */
function contains(text: string, form: string): boolean {
  if (!/^\d+$/.test(form)) return text.includes(form);
  return new RegExp(`(?<!\\d)${form}(?!\\d)`).test(text);
}

function findLeaks(outputs: Record<string, string>): string[] {
  const leaks: string[] = [];
  for (const sample of corpus.SENSITIVE) {
    for (const forbidden of sample.forbidden) {
      for (const form of readableForms(forbidden)) {
        for (const [where, text] of Object.entries(outputs))
          if (contains(text, form)) leaks.push(`${sample.kind} ${JSON.stringify(sample.text.slice(0, 80))}: ${JSON.stringify(form)} in ${where}`);
      }
    }
  }
  return leaks;
}

function expectHarmlessUnchanged(receiver: Receiver, stderr = ''): void {
  const messages = new Set(receiver.spans.flatMap((s) => s.events.map((e) => String(e.attributes['exception.message'] ?? ''))));
  const keys = new Set(receiver.spans.flatMap((s) => Object.keys(s.attributes)));
  const changed: string[] = [];
  for (const text of corpus.HARMLESS) {
    if (!messages.has(`failed for ${text}`)) changed.push(`${JSON.stringify(text)}: exception message`);
    if (!keys.has(text)) changed.push(`${JSON.stringify(text)}: attribute key`);
  }
  expect(changed, `${changed.length} harmless strings changed:\n${changed.slice(0, 30).join('\n')}\napp stderr:\n${stderr.slice(0, 4000)}`).to.deep.equal([]);
}

describe('PII never leaves the process: the whole corpus, in real processes (integration)', function () {
  this.timeout(600_000);

  it(`OTLP gRPC, file and console: 0 of ${corpus.SENSITIVE.length} sensitive samples in any exported byte, ${corpus.HARMLESS.length} harmless strings unchanged`, async () => {
    const grpc = await startOtlpGrpcReceiver();
    try {
      const run = await exportCorpus({ TRACING_EXPORTER: 'otlp,file,console', TRACING_ENDPOINT: grpc.url });
      // the run really exported every request, once (an empty or partial output cannot pass)
      expect(grpc.spans.filter((s) => s.kind === 'SERVER').length, run.stderr).to.equal(run.serverSpans);
      expect(grpc.spans.some((s) => s.traceState.startsWith('app='))).to.equal(true);
      const wire = Buffer.concat(grpc.rawPayloads);
      const leaks = findLeaks({
        'otlp-grpc wire bytes (utf8)': wire.toString('utf8'),
        'otlp-grpc wire bytes (latin1)': wire.toString('latin1'),
        'file exporter': run.file,
        'console exporter': run.stdout,
      });
      expect(leaks, `${leaks.length} leaks:\n${leaks.slice(0, 40).join('\n')}`).to.deep.equal([]);
      expectHarmlessUnchanged(grpc, run.stderr);
    } finally {
      await grpc.close();
    }
  });

  it('Jaeger (thrift over UDP): 0 sensitive samples in any exported byte', async () => {
    // Jaeger takes TRACING_ENDPOINT as its HTTP collector, so it gets a run of its own, on the agent port.
    const jaeger = await startJaegerUdpReceiver();
    try {
      const run = await exportCorpus({ TRACING_EXPORTER: 'jaeger', TRACING_JAEGER_AGENT_HOST: '127.0.0.1', TRACING_JAEGER_AGENT_PORT: String(jaeger.port) });
      // a UDP datagram holds at most 64 KiB, so batches of long spans are lost on the way: most arrive
      expect(jaeger.spans.filter((s) => s.kind === 'SERVER').length, run.stderr).to.be.at.least(run.requests / 2);
      const leaks = findLeaks({ 'jaeger udp bytes': Buffer.concat(jaeger.rawPayloads).toString('utf8') });
      expect(leaks, `${leaks.length} leaks:\n${leaks.slice(0, 40).join('\n')}`).to.deep.equal([]);
    } finally {
      await jaeger.close();
    }
  });

  it('OTLP HTTP and file: 0 sensitive samples in any exported byte, harmless strings unchanged', async () => {
    const receiver = await startOtlpHttpReceiver();
    try {
      const run = await exportCorpus({ TRACING_EXPORTER: 'otlp-http,file', TRACING_ENDPOINT: receiver.url });
      expect(receiver.spans.filter((s) => s.kind === 'SERVER').length, run.stderr).to.equal(run.serverSpans);
      const wire = Buffer.concat(receiver.rawPayloads);
      const leaks = findLeaks({
        'otlp-http wire bytes (utf8)': wire.toString('utf8'),
        'otlp-http wire bytes (latin1)': wire.toString('latin1'),
        'file exporter': run.file,
      });
      expect(leaks, `${leaks.length} leaks:\n${leaks.slice(0, 40).join('\n')}`).to.deep.equal([]);
      expectHarmlessUnchanged(receiver);
    } finally {
      await receiver.close();
    }
  });
});

describe('TRACING_PII_PATTERNS and TRACING_PII_KEYS (integration)', function () {
  this.timeout(60_000);

  it('masks matches of user patterns and values of user keys; a pattern the linear-time engine cannot run is reported by number and skipped', async () => {
    const receiver = await startOtlpGrpcReceiver();
    const app = startApp(fixture('pii-app.js'), {
      env: {
        TRACING_ENDPOINT: receiver.url,
        TRACING_SCHEDULE_DELAY_MS: '50',
        // `(a+)+$` is catastrophic for a backtracking engine and linear in re2js: accepted. A backreference is not linear: refused.
        TRACING_PII_PATTERNS: JSON.stringify(['(\\w)\\1{3}x', '(a+)+$', 'EMP-\\d{6}']),
        TRACING_PII_KEYS: 'employee_ref',
      },
    });
    try {
      const port = await app.port();
      await fetch(`http://127.0.0.1:${port}/fail?msg=${encodeURIComponent('badge EMP-123456 employee_ref=XK42QZ')}`).then((r) => r.text());
      const spans = await receiver.waitForSpans((all) => all.some((s) => s.kind === 'SERVER' && s.events.length > 0));
      const message = String(spans.find((s) => s.kind === 'SERVER' && s.events.length > 0)!.events[0].attributes['exception.message']);
      expect(message).to.include('badge ***');
      expect(message).not.to.include('EMP-123456');
      expect(message).not.to.include('XK42QZ');
      expect(Buffer.concat(receiver.rawPayloads).toString('latin1')).not.to.include('XK42QZ');
      const problemLines = app.stderr.split('\n').filter((line) => line.includes('TRACING_PII_PATTERNS'));
      expect(problemLines, app.stderr).to.have.length(1);
      expect(problemLines[0]).to.match(/pattern #1 "\(\\w\)\\1\{3\}x".*linear time.*skipped/);
    } finally {
      await app.stop('SIGKILL');
      await receiver.close();
    }
  });
});
