/**
 * Hostile requests: every request is sent as raw bytes (net.connect) to the same fixture with the agent
 * and without it; the app must answer the same (status, content type, body; the agent's trace_id field
 * in small JSON error bodies is removed before comparing) and the agent must never report an internal
 * error or print a stack trace.
 */
import { expect } from 'chai';
import * as net from 'net';
import { startApp, type RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver, type Receiver } from '../helpers/receivers';

interface RawResponse {
  status: number | string;
  headers: Record<string, string>;
  body: Buffer;
}

interface HostileCase {
  label: string;
  app: 'express' | 'hostile';
  /** Request line target, raw bytes allowed (latin1 string: one char per byte). */
  target: string;
  /** Header lines, raw bytes allowed (latin1). */
  headers?: [string, string][];
  /** The agent adds its trace_id field to this (small JSON error) body. */
  traceIdAdded?: boolean;
  /** Status both runs must give, when it is part of what the case is about. */
  status?: number;
}

const HEADER_LIMIT = 16 * 1024; // Node's default --max-http-header-size
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID_PARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;
const UTF8_AS_LATIN1 = Buffer.from('ünïcödé-€-😀', 'utf8').toString('latin1');

function members(count: number, make: (index: number) => string): string {
  return Array.from({ length: count }, (_, index) => make(index)).join(',');
}

/** The whole request head for `target` and `headers` is `size` bytes. */
function paddedHeader(target: string, size: number): [string, string] {
  const fixed = requestHead(target, [['x-pad', '']]).length;
  return ['x-pad', 'a'.repeat(size - fixed)];
}

function requestHead(target: string, headers: [string, string][]): Buffer {
  const lines = [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...headers.map(([name, value]) => `${name}: ${value}`)];
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

const CASES: HostileCase[] = [
  // headers around Node's 16 KiB limit
  { label: 'headers just under 16 KiB', app: 'express', target: '/users/1', headers: [paddedHeader('/users/1', HEADER_LIMIT - 100)], status: 200 },
  { label: 'headers over 16 KiB', app: 'express', target: '/users/1', headers: [paddedHeader('/users/1', HEADER_LIMIT + 1000)], status: 431 },
  { label: 'a 15 KiB baggage header', app: 'express', target: '/echo-headers', headers: [['baggage', `k=${'v'.repeat(15_000)}`]], status: 200 },
  {
    label: 'a 15 KiB tracestate header',
    app: 'express',
    target: '/echo-headers',
    headers: [
      ['traceparent', VALID_PARENT],
      ['tracestate', `k=${'v'.repeat(15_000)}`],
    ],
    status: 200,
  },
  { label: 'a URL just under 16 KiB', app: 'express', target: `/users/${'9'.repeat(HEADER_LIMIT - 200)}`, status: 200 },
  // malformed traceparent
  ...(
    [
      ['overlong', `${VALID_PARENT}-${'f'.repeat(8000)}`],
      ['invalid hex', `00-${'z'.repeat(32)}-${SPAN_ID}-01`],
      ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
      ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
      ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
      ['upper-case hex', VALID_PARENT.toUpperCase()],
      ['short ids', `00-${TRACE_ID.slice(4)}-${SPAN_ID.slice(2)}-01`],
      ['non-ASCII', `00-${TRACE_ID.slice(0, 30)}${UTF8_AS_LATIN1.slice(0, 2)}-${SPAN_ID}-01`],
      ['empty fields', '00---'],
      ['100 commas', ','.repeat(100)],
    ] as const
  ).map(([label, value]): HostileCase => ({
    label: `traceparent: ${label}`,
    app: 'express',
    target: '/echo-headers',
    headers: [['traceparent', value]],
    status: 200,
  })),
  // malformed tracestate (with a valid parent, so it is parsed)
  ...(
    [
      ['100 list members', members(100, (i) => `k${i}=v${i}`)],
      ['overlong member', `k=${'v'.repeat(9000)}`],
      ['invalid keys', 'UPPER=1,=x,k==,@@@=1,k=v=w'],
      ['non-ASCII', `k=${UTF8_AS_LATIN1}`],
      ['duplicate keys', members(40, () => 'k=v')],
    ] as const
  ).map(([label, value]): HostileCase => ({
    label: `tracestate: ${label}`,
    app: 'express',
    target: '/echo-headers',
    headers: [
      ['traceparent', VALID_PARENT],
      ['tracestate', value],
    ],
    status: 200,
  })),
  // malformed baggage
  ...(
    [
      ['100 list members', members(100, (i) => `key${i}=value${i}`)],
      ['overlong value', `k=${'v'.repeat(9000)}`],
      ['invalid percent-encoding', 'k=%ZZ,j=%E0%A4%A,l=%'],
      ['non-ASCII', `k=${UTF8_AS_LATIN1},${UTF8_AS_LATIN1}=v`],
      ['properties only', ';;;=,k=v;;;;=;=,=;'],
      ['1000 members', members(1000, (i) => `k${i}=v`)],
    ] as const
  ).map(([label, value]): HostileCase => ({ label: `baggage: ${label}`, app: 'express', target: '/echo-headers', headers: [['baggage', value]], status: 200 })),
  // non-UTF-8 and otherwise odd bytes in the URL
  { label: 'URL: raw bytes 0xff 0xfe', app: 'express', target: '/users/\xff\xfe' },
  { label: 'URL: invalid UTF-8 sequence in the query', app: 'express', target: '/users/1?q=\xc3\x28&r=\xe2\x82' },
  { label: 'URL: raw UTF-8', app: 'express', target: `/users/${UTF8_AS_LATIN1}` },
  { label: 'URL: invalid percent-encoding', app: 'express', target: '/users/%E0%A4%A' },
  { label: 'URL: percent-encoded 0xff', app: 'express', target: '/users/%FF%FE?x=%FF' },
  { label: 'URL: percent-encoded NUL', app: 'express', target: '/users/%00' },
  { label: 'URL: raw control character', app: 'express', target: '/users/\x01' },
  { label: 'URL: absolute form', app: 'express', target: 'http://evil.example:99999/users/1' },
  { label: 'URL: asterisk form', app: 'express', target: '*' },
  { label: 'URL: unknown route with bytes', app: 'express', target: '/\xc0\xaf../etc/passwd' },
  // JSON error bodies
  { label: '10 MB JSON error body (res.json)', app: 'hostile', target: '/big-error', status: 500 },
  { label: '10 MB JSON error body (chunked writes)', app: 'hostile', target: '/big-error-chunked', status: 500 },
  { label: 'small JSON error body (res.json)', app: 'hostile', target: '/small-error', status: 500, traceIdAdded: true },
  { label: 'small JSON error body (writeHead + Content-Length)', app: 'hostile', target: '/small-error-raw', status: 404, traceIdAdded: true },
  { label: 'JSON array error body', app: 'hostile', target: '/array-error', status: 400 },
  {
    label: 'small JSON error body with hostile trace headers',
    app: 'hostile',
    target: '/small-error',
    status: 500,
    traceIdAdded: true,
    headers: [
      ['traceparent', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
      ['baggage', members(100, (i) => `k${i}=%FF`)],
    ],
  },
];

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function parseResponse(data: Buffer): RawResponse {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: data.length === 0 ? 'no response' : 'truncated head', headers: {}, body: Buffer.alloc(0) };
  const [statusLine, ...headerLines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = data.subarray(headEnd + 4);
  const body = headers['transfer-encoding'] === 'chunked' ? decodeChunked(rest) : rest;
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

/** Sends `request` and reads until the server closes (the request says Connection: close). */
function rawExchange(port: number, request: Buffer): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    const finish = () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks)));
    };
    const timer = setTimeout(() => socket.destroy(), 20_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server that answers 431 may close before reading everything: a reset after the answer is normal.
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.end(request);
  });
}

describe('hostile requests, with and without the agent (integration)', function () {
  this.timeout(120_000);
  let receiver: Receiver;
  const apps: Record<'express' | 'hostile', { agent: RunningApp; bare: RunningApp; agentPort: number; barePort: number }> = {} as never;

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
    // production: express's error page carries no stack trace, whose frames differ with the agent's wrappers.
    const appEnv = { NODE_ENV: 'production' };
    const env = { ...appEnv, TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '100' };
    for (const [name, script] of [
      ['express', 'express5-app.js'],
      ['hostile', 'hostile-app.js'],
    ] as const) {
      const agent = startApp(fixture(script), { env });
      const bare = startApp(fixture(script), { agent: 'none', env: appEnv });
      apps[name] = { agent, bare, agentPort: await agent.port(), barePort: await bare.port() };
    }
  });

  after(async () => {
    for (const pair of Object.values(apps)) await Promise.all([pair.agent.stop('SIGKILL'), pair.bare.stop('SIGKILL')]);
    await receiver?.close();
  });

  for (const testCase of CASES) {
    it(testCase.label, async () => {
      const pair = apps[testCase.app];
      const request = requestHead(testCase.target, testCase.headers ?? []);
      const [withAgent, bare] = await Promise.all([rawExchange(pair.agentPort, request), rawExchange(pair.barePort, request)]);
      expect(withAgent.status, 'same status').to.equal(bare.status);
      if (testCase.status !== undefined) expect(bare.status).to.equal(testCase.status);
      expect(withAgent.headers['content-type']).to.equal(bare.headers['content-type']);
      if (testCase.traceIdAdded) {
        const edited = JSON.parse(withAgent.body.toString('utf8')) as Record<string, unknown>;
        expect(edited.trace_id, 'the agent adds its field by design').to.match(/^[0-9a-f]{32}$/);
        delete edited.trace_id;
        expect(edited).to.deep.equal(JSON.parse(bare.body.toString('utf8')));
      } else {
        expect(withAgent.body.length, 'same body length').to.equal(bare.body.length);
        expect(withAgent.body.equals(bare.body), 'byte-identical body').to.equal(true);
      }
      if (testCase.app === 'hostile' && testCase.status === 500 && !testCase.traceIdAdded) {
        expect(bare.body.length).to.be.greaterThan(10 * 1024 * 1024);
      }
    });
  }

  it('the agent reported no internal error, printed no stack trace and still exported spans', async () => {
    await receiver.waitForSpans((spans) => spans.filter((span) => span.kind === 'SERVER').length >= CASES.length / 2);
    for (const pair of Object.values(apps)) {
      await Promise.all([pair.agent.stop('SIGTERM'), pair.bare.stop('SIGTERM')]);
      expect(pair.agent.stderr).not.to.include('otel-agent: internal error');
      // express logs the URIErrors of bad percent-encoding with their stacks, with and without the agent;
      // apart from those stack frames the agent printed nothing at all.
      const withoutFrames = (stderr: string) =>
        stderr
          .split('\n')
          .filter((line) => !line.startsWith('    at '))
          .join('\n');
      expect(withoutFrames(pair.agent.stderr)).to.equal(withoutFrames(pair.bare.stderr));
      expect(pair.agent.stderr).not.to.match(/^otel-agent: .*\n {4}at /m);
    }
    expect(receiver.decodeErrors).to.deep.equal([]);
  });
});
