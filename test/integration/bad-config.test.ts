/**
 * Bad configuration in real processes: the express 5 fixture started with one bad variable (or a small
 * combination) prints exactly one clear problem line naming the variable (and the value, unless it is
 * a secret), prints no stack trace, starts the agent anyway and serves /users/1 with 200.
 * The cases run 4 at a time against one shared receiver; each `it` checks one recorded run.
 */
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver, type Receiver } from '../helpers/receivers';

interface BadConfigCase {
  env: Record<string, string>;
  /** The variable the problem line must name; defaults to the first one in env. */
  variable?: string;
  /** Text the problem line must contain besides the variable; defaults to the variable's value. */
  shows?: string[];
  /** Text that must appear nowhere on stderr (secrets). */
  hides?: string[];
}

function problemLines(testCase: BadConfigCase, stderr: string): string[] {
  const variable = testCase.variable ?? Object.keys(testCase.env)[0];
  const shows = testCase.shows ?? [testCase.env[variable]];
  return stderr.split('\n').filter((line) => line.includes(variable) && shows.every((text) => line.includes(text)));
}

interface CaseRun {
  status: number | string;
  stderr: string;
}

const CONCURRENCY = 4;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-bad-config-'));
const DANGLING = path.join(tmp, 'dangling.pem');
const LOOP = path.join(tmp, 'loop.pem');
const FIFO = path.join(tmp, 'ca.fifo');
const EMPTY = path.join(tmp, 'empty.pem');
const MODE_000 = path.join(tmp, 'mode-000.pem');
const IS_ROOT = process.getuid?.() === 0;
const FILE_EXPORTER = { TRACING_EXPORTER: 'file' };

const CASES: BadConfigCase[] = [
  // TRACING_PII_PATTERNS: invalid regexes and patterns the linear-time engine cannot run are skipped
  // (ReDoS shapes such as (a+)+$ are accepted: the engine makes them linear; see test/unit/redact/user-patterns.test.ts)
  { env: { TRACING_PII_PATTERNS: '(unclosed' }, shows: ['pattern #1', '"(unclosed"', 'invalid regex'] },
  { env: { TRACING_PII_PATTERNS: '["[unclosed"]' }, shows: ['pattern #1', '"[unclosed"', 'invalid regex'] },
  { env: { TRACING_PII_PATTERNS: '["\\\\d{3}", "a{2,1}"]' }, shows: ['pattern #2', '"a{2,1}"', 'invalid regex'] },
  { env: { TRACING_PII_PATTERNS: '["[unterminated' }, shows: ['"[\\"[unterminated"', 'not a valid JSON array'] },
  { env: { TRACING_PII_PATTERNS: '(\\d+)-\\1' }, shows: ['"(\\d+)-\\1"', 'cannot run in linear time'] },
  { env: { TRACING_PII_PATTERNS: '["(?=\\\\w+x)\\\\w"]' }, shows: ['"(?=\\w+x)\\w"', 'cannot run in linear time'] },
  { env: { TRACING_PII_PATTERNS: '["EMP-\\\\d{6}", 5]' }, shows: ['#2', 'not a non-empty string'] },
  // TRACING_CA_FILE that cannot be read as a file (root reads mode 000 files, so none of those)
  { env: { TRACING_CA_FILE: '/tmp' }, shows: ['"/tmp"', 'not a readable file'] },
  { env: { TRACING_CA_FILE: '/nonexistent/ca.pem' }, shows: ['"/nonexistent/ca.pem"', 'not a readable file'] },
  { env: { TRACING_CA_FILE: '/etc/hostname/ca.pem' }, shows: ['"/etc/hostname/ca.pem"', 'not a readable file'] },
  { env: { TRACING_CA_FILE: DANGLING }, shows: [DANGLING, 'not a readable file'] },
  { env: { TRACING_CA_FILE: LOOP }, shows: [LOOP, 'not a readable file'] },
  { env: { TRACING_CA_FILE: FIFO }, shows: [FIFO, 'not a readable file'] },
  { env: { OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem' }, shows: ['"/nonexistent/ca.pem"'] },
  { env: { TRACING_CA_FILE: '/etc/hostname' }, shows: ['"/etc/hostname"', 'no PEM certificate'] },
  { env: { TRACING_CA_FILE: EMPTY }, shows: [EMPTY, 'no PEM certificate'] },
  // root reads a mode 000 file (then it is a valid CA file): only a real failure for other users
  ...(IS_ROOT ? [] : [{ env: { TRACING_CA_FILE: MODE_000 }, shows: [MODE_000, 'not a readable file'] }]),
  // TRACING_FILE_PATH where no file can be created (root writes into chmod'ed directories, so none of those)
  {
    env: { ...FILE_EXPORTER, TRACING_FILE_PATH: '/etc/hostname/x.jsonl' },
    variable: 'TRACING_FILE_PATH',
    shows: ['"/etc/hostname/x.jsonl"', 'not a directory'],
  },
  { env: { ...FILE_EXPORTER, TRACING_FILE_PATH: '/proc/x.jsonl' }, variable: 'TRACING_FILE_PATH', shows: ['"/proc/x.jsonl"', 'proc'] },
  { env: { ...FILE_EXPORTER, TRACING_FILE_PATH: '/sys/x.jsonl' }, variable: 'TRACING_FILE_PATH', shows: ['"/sys/x.jsonl"', 'sysfs'] },
  {
    env: { ...FILE_EXPORTER, TRACING_FILE_PATH: '/nonexistent-dir/x.jsonl' },
    variable: 'TRACING_FILE_PATH',
    shows: ['"/nonexistent-dir/x.jsonl"', 'does not exist'],
  },
  { env: { ...FILE_EXPORTER, TRACING_FILE_PATH: '/tmp' }, variable: 'TRACING_FILE_PATH', shows: ['"/tmp"', 'is a directory'] },
  // absurd sizes, delays and timeouts
  ...['TRACING_MAX_QUEUE_SIZE', 'TRACING_BATCH_SIZE', 'TRACING_SCHEDULE_DELAY_MS', 'TRACING_EXPORT_TIMEOUT_MS', 'TRACING_SHUTDOWN_TIMEOUT_MS'].flatMap(
    (variable) => ['0', '-1', '1e12'].map((value): BadConfigCase => ({ env: { [variable]: value } })),
  ),
  { env: { TRACING_SCHEDULE_DELAY_MS: 'Infinity' } },
  { env: { OTEL_BSP_MAX_QUEUE_SIZE: '-1' } },
  { env: { OTEL_BSP_EXPORT_TIMEOUT: '1e12' } },
  { env: { TRACING_MAX_QUEUE_SIZE: '10', TRACING_BATCH_SIZE: '4096' }, variable: 'TRACING_BATCH_SIZE', shows: ['4096', 'queue size (10)'] },
  // unknown TRACING_ keys
  { env: { TRACING_FOO: 'bar' }, shows: ['"bar"', 'unknown variable'] },
  { env: { TRACING_SAMPL_RATE: '0.5' }, shows: ['0.5', 'did you mean TRACING_SAMPLE_RATE?'] },
  { env: { tracing_sample_rate: '0.5' }, shows: ['did you mean TRACING_SAMPLE_RATE?'] },
  { env: { TRACING_HEADER: 'authorization=Bearer s3cr3t' }, shows: ['did you mean TRACING_HEADERS?'], hides: ['s3cr3t'] },
  // other garbage, secrets hidden
  { env: { TRACING_SAMPLE_RATE: '1.5' } },
  { env: { TRACING_EXPORTER: 'kafka' } },
  { env: { TRACING_ENDPOINT: 'not a url' } },
  { env: { TRACING_ENDPOINT: 'http://user:hunter2@' }, shows: ['user:***@'], hides: ['hunter2'] },
  { env: { TRACING_HEADERS: 'bad key=s3cr3t' }, shows: ['"bad key"'], hides: ['s3cr3t'] },
  { env: { TRACING_LOG_LEVEL: 'loud' } },
  { env: { TRACING_ESM_HOOK: 'sometimes' } },
  { env: { TRACING_ERROR_STATUS_MIN: '99' } },
  { env: { TRACING_JAEGER_AGENT_PORT: '70000' } },
  { env: { TRACING_SERVICE_NAME: 'my\nservice' }, shows: ['"my\\nservice"'] },
  { env: { TRACING_INSTRUMENTATIONS: 'http,nosuchlib' }, shows: ['"nosuchlib"'] },
];

function labelOf(testCase: BadConfigCase): string {
  return Object.entries(testCase.env)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(' ');
}

async function runCase(testCase: BadConfigCase, receiver: Receiver): Promise<CaseRun> {
  const app = startApp(fixture('express5-app.js'), {
    cwd: tmp,
    env: { TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '100', ...testCase.env },
  });
  try {
    const port = await app.port();
    const response = await fetch(`http://127.0.0.1:${port}/users/1`);
    await response.text();
    // TRACING_PII_PATTERNS is compiled, and its problems printed, by the export worker once it has booted.
    for (const deadline = Date.now() + 10_000; problemLines(testCase, app.stderr).length === 0 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return { status: response.status, stderr: app.stderr };
  } catch (err) {
    return { status: String(err), stderr: app.stderr };
  } finally {
    await app.stop('SIGKILL');
  }
}

async function runAll(receiver: Receiver): Promise<CaseRun[]> {
  const runs: CaseRun[] = new Array(CASES.length);
  let next = 0;
  const lane = async () => {
    while (next < CASES.length) {
      const index = next++;
      runs[index] = await runCase(CASES[index], receiver);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return runs;
}

describe('bad config in real processes (integration)', function () {
  this.timeout(120_000);
  let receiver: Receiver;
  let runs: CaseRun[] = [];

  before(async () => {
    fs.symlinkSync(path.join(tmp, 'missing.pem'), DANGLING);
    fs.symlinkSync(LOOP, LOOP);
    execFileSync('mkfifo', [FIFO]);
    fs.writeFileSync(EMPTY, '');
    fs.writeFileSync(MODE_000, '-----BEGIN CERTIFICATE-----\n', { mode: 0o000 });
    receiver = await startOtlpGrpcReceiver();
    runs = await runAll(receiver);
  });

  after(async () => {
    await receiver?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('covers at least 40 cases', () => {
    expect(CASES.length).to.be.at.least(40);
  });

  CASES.forEach((testCase, index) => {
    it(labelOf(testCase), () => {
      const { status, stderr } = runs[index];
      expect(status, stderr).to.equal(200);
      const lines = problemLines(testCase, stderr);
      expect(
        lines,
        `one problem line naming the variable and ${JSON.stringify(testCase.shows ?? Object.values(testCase.env))} in:\n${stderr}`,
      ).to.have.lengthOf(1);
      expect(lines[0]).to.match(/^otel-agent: /);
      expect(stderr).not.to.include('\n    at ');
      expect(stderr).not.to.match(/failed to start|internal error/);
      for (const secret of testCase.hides ?? []) expect(stderr).not.to.include(secret);
    });
  });
});
