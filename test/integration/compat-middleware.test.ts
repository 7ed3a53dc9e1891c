/**
 * Compatibility: the agent must not change what a production stack sends. Real middleware
 * (test/fixtures/compat/package.json pins it: express 5 and, in express4/, express 4, with
 * express-session, compression, helmet, cors, body-parser, multer, http-proxy-middleware, ...) and a
 * raw node:http app each run twice, bare and under the agent (exporting to a real OTLP/HTTP receiver).
 * Every request case goes to both as identical bytes over a raw socket, and the responses are compared
 * byte for byte: status line, headers in order and case (less `Date` and the few values that depend
 * on time or randomness, normalized below by name), framing and body.
 *
 * The one documented difference: a JSON error body (status >= 400, JSON content type, identity
 * encoding, not HEAD, a JSON object without the field) gets `"trace_id":"<32 hex>"` appended as its
 * last member, holding the trace id of the request's SERVER span; its Content-Length/Transfer-Encoding
 * may then differ from bare, but must frame the new body. Such a response MUST carry the field (the
 * README promises it however the app sent the body); every other response must be identical. Every
 * request must also produce a SERVER span. (With the default config the agent adds no response
 * header: Server-Timing needs TRACING_RESPONSE_HEADER=true.)
 *
 * To add a case: one row in EXPRESS_CASES or HTTP_CASES (and a route in the fixture if it needs one).
 * To add middleware: pin it in test/fixtures/compat/package.json and use it in routes.js.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import * as zlib from 'zlib';
import { expect } from 'chai';
import { startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { FIXTURES } from '../helpers/paths';
import { describeResponse, headerValues, keepAliveExchange } from '../helpers/raw-http';
import type { HeaderList, KeepAliveExchange, RawRequest, RawResponse } from '../helpers/raw-http';
import { startOtlpHttpReceiver } from '../helpers/receivers';
import type { Receiver, ReceivedSpan } from '../helpers/receivers';

const COMPAT = path.join(FIXTURES, 'compat');
const FIELD = 'trace_id';
const MAX_REWRITE_BYTES = 64 * 1024; // README: bodies over 64 KiB pass through

interface RequestCase {
  /** Unique within its table; also what `cookiesFrom` refers to. */
  name: string;
  method?: string;
  path: string;
  /** Added to (or replacing, by name) the fixed request headers. */
  headers?: HeaderList;
  body?: string | Buffer;
  /** The status the bare app answers: proves the fixture does what the case is about. */
  status: number;
  /** Something the bare body must contain (same reason). */
  bareBody?: RegExp;
  /** What the bare app's interim (1xx) responses must show. */
  bareInterim?: RegExp;
  /** Send the cookies that this earlier case's response set (each app its own: session ids differ). */
  cookiesFrom?: string;
  /** HTTP/1.0 request line (no chunked framing, no keep-alive). */
  http10?: boolean;
  /** Send the second request together with this one (pipelining) instead of after its response. */
  pipelined?: boolean;
  /** Why the agent cannot add the field although the response looks like a candidate. */
  noInjection?: string;
}

// The fixed request: every app gets these bytes (Host is fixed too, not the port).
const BASE_HEADERS: HeaderList = [
  ['Host', 'compat.test'],
  ['User-Agent', 'compat-suite/1'],
  ['Accept', '*/*'],
  ['Accept-Encoding', 'identity'],
];

/** send's weak ETag for a file (etag package: size and mtime in hex), for If-None-Match. */
function fileEtag(file: string): string {
  const stat = fs.statSync(file);
  return `W/"${stat.size.toString(16)}-${stat.mtime.getTime().toString(16)}"`;
}
const DATA_JSON = path.join(COMPAT, 'public', 'data.json');
const FUTURE = 'Fri, 01 Jan 2100 00:00:00 GMT';
const json = (value: unknown): [HeaderList, string] => [[['Content-Type', 'application/json']], JSON.stringify(value)];

const BOUNDARY = '----compatBoundary7MA4YWxkTrZu0gW';
function multipart(note: string, fileName: string, content: string): [HeaderList, Buffer] {
  const body = [
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\n${note}\r\n`,
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n`,
    `--${BOUNDARY}--\r\n`,
  ].join('');
  return [[['Content-Type', `multipart/form-data; boundary=${BOUNDARY}`]], Buffer.from(body)];
}
const [jsonHeaders, jsonBody] = json({ name: 'Ada', tags: ['x'] });
const [signupHeaders, signupBad] = json({ email: 'not-an-email', age: 12 });
const [uploadHeaders, uploadBody] = multipart('hello', 'note.txt', 'file content\n');
const [, uploadTooLarge] = multipart('big', 'big.txt', 'x'.repeat(2048));

// The express app's cases, in the order they are sent (sessions and the rate limit keep state).
const EXPRESS_CASES: RequestCase[] = [
  { name: 'success JSON', path: '/ok', status: 200 },
  { name: 'helmet headers on an HTML page', path: '/helmet', status: 200, bareBody: /protected/ },
  { name: 'res.status(500).json()', path: '/error/json', status: 500 },
  { name: 'res.status(422).send(object)', path: '/error/send-object', status: 422 },
  { name: 'raw writeHead + end', path: '/error/raw', status: 500 },
  { name: 'raw writeHead with Content-Length + end', path: '/error/raw-length', status: 500 },
  { name: 'write() chunks then end()', path: '/error/chunks', status: 500 },
  { name: 'raw writeHead + end, HTTP/1.0 client', path: '/error/raw', http10: true, status: 500 },
  { name: 'res.status(500).json(), HTTP/1.0 client', path: '/error/json', http10: true, status: 500 },
  { name: 'raw writeHead + end, pipelined with the next request', path: '/error/raw', pipelined: true, status: 500 },
  { name: 'res.status(500).json(), pipelined with the next request', path: '/error/json', pipelined: true, status: 500 },
  { name: 'statusCode + setHeader + end(buffer)', path: '/error/setheader-end', status: 503 },
  { name: 'text/plain error (not JSON)', path: '/error/text', status: 500 },
  { name: 'piped JSON error stream', path: '/error/piped', status: 500 },
  { name: 'sync throw -> JSON error middleware', path: '/error/throw-sync', status: 500 },
  { name: 'async rejection -> JSON error middleware', path: '/error/throw-async', status: 500 },
  { name: 'next(err) -> JSON error middleware', path: '/error/next', status: 502 },
  { name: 'sync throw -> express final handler (HTML)', path: '/final/throw-sync', status: 500, bareBody: /<pre>Internal Server Error<\/pre>/ },
  { name: 'async rejection -> express final handler (HTML)', path: '/final/throw-async', status: 500, bareBody: /<pre>Internal Server Error<\/pre>/ },
  { name: 'next(err) -> express final handler (HTML)', path: '/final/next', status: 409, bareBody: /Conflict/ },
  { name: 'unknown route -> final handler 404', path: '/no/such/route', status: 404, bareBody: /Cannot GET/ },
  { name: 'HEAD of a JSON error', method: 'HEAD', path: '/error/json', status: 500 },
  // compression: gzip over the 1 kB threshold, identity under it
  { name: 'large JSON error, gzip accepted (compressed)', path: '/error/large', headers: [['Accept-Encoding', 'gzip']], status: 500 },
  { name: 'small JSON error, gzip accepted (under the threshold)', path: '/error/small', headers: [['Accept-Encoding', 'gzip']], status: 500 },
  { name: 'large JSON error, identity', path: '/error/large', status: 500 },
  { name: 'raw writeHead JSON error, gzip accepted (compressed)', path: '/error/raw', headers: [['Accept-Encoding', 'gzip']], status: 500 },
  { name: 'write() chunks JSON error, gzip accepted (compressed)', path: '/error/chunks', headers: [['Accept-Encoding', 'gzip']], status: 500 },
  {
    name: 'raw writeHead with Content-Length, gzip accepted (under the threshold)',
    path: '/error/raw-length',
    headers: [['Accept-Encoding', 'gzip']],
    status: 500,
  },
  { name: 'large JSON error, brotli accepted (compressed)', path: '/error/large', headers: [['Accept-Encoding', 'br']], status: 500 },
  { name: 'JSON error over 64 KiB (passes through)', path: '/error/huge', status: 500 },
  { name: 'res.sendStatus(500) (text)', path: '/error/send-status', status: 500, bareBody: /^Internal Server Error$/ },
  { name: 'res.redirect()', path: '/redirect', status: 302 },
  { name: '103 Early Hints then a JSON error', path: '/error/early-hints', status: 500, bareInterim: /^HTTP\/1\.1 103 Early Hints\r\nLink: /i },
  { name: 'static file, gzip accepted (compressed)', path: '/static/data.json', headers: [['Accept-Encoding', 'gzip']], status: 200 },
  // files
  { name: 'express.static file', path: '/static/data.json', status: 200 },
  { name: 'express.static Range', path: '/static/data.json', headers: [['Range', 'bytes=0-99']], status: 206 },
  { name: 'express.static unsatisfiable Range', path: '/static/data.json', headers: [['Range', 'bytes=90000-90010']], status: 416 },
  { name: 'express.static If-None-Match -> 304', path: '/static/data.json', headers: [['If-None-Match', fileEtag(DATA_JSON)]], status: 304 },
  { name: 'express.static If-Modified-Since -> 304', path: '/static/data.json', headers: [['If-Modified-Since', FUTURE]], status: 304 },
  { name: 'express.static HEAD', method: 'HEAD', path: '/static/data.json', status: 200 },
  { name: 'serve-static file', path: '/files/hello.txt', status: 200, bareBody: /hello from serve-static/ },
  { name: 'serve-static Range', path: '/files/hello.txt', headers: [['Range', 'bytes=6-9']], status: 206 },
  { name: 'serve-static directory redirect', path: '/files/sub', status: 301 },
  { name: 'serve-static HEAD', method: 'HEAD', path: '/files/hello.txt', status: 200 },
  { name: 'res.sendFile', path: '/download', status: 200 },
  { name: 'res.sendFile suffix Range', path: '/download', headers: [['Range', 'bytes=-20']], status: 206 },
  { name: 'res.sendFile If-Modified-Since -> 304', path: '/download', headers: [['If-Modified-Since', FUTURE]], status: 304 },
  { name: 'res.sendFile missing file -> JSON 404', path: '/download-missing', status: 404 },
  // multer
  { name: 'multer upload', method: 'POST', path: '/upload', headers: uploadHeaders, body: uploadBody, status: 201, bareBody: /"size":13/ },
  {
    name: 'multer upload with Expect: 100-continue',
    method: 'POST',
    path: '/upload',
    headers: [...uploadHeaders, ['Expect', '100-continue']],
    body: uploadBody,
    status: 201,
    bareInterim: /^HTTP\/1\.1 100 Continue$/,
  },
  { name: 'multer file too large -> JSON 413', method: 'POST', path: '/upload', headers: uploadHeaders, body: uploadTooLarge, status: 413 },
  // body-parser
  { name: 'body-parser json', method: 'POST', path: '/body/json', headers: jsonHeaders, body: jsonBody, status: 200, bareBody: /Ada/ },
  { name: 'body-parser invalid json -> JSON 400', method: 'POST', path: '/body/json', headers: jsonHeaders, body: '{"name": nope', status: 400 },
  {
    name: 'body-parser json over the limit -> JSON 413',
    method: 'POST',
    path: '/body/json',
    headers: jsonHeaders,
    body: JSON.stringify({ pad: 'x'.repeat(2000) }),
    status: 413,
  },
  {
    name: 'body-parser urlencoded',
    method: 'POST',
    path: '/body/urlencoded',
    headers: [['Content-Type', 'application/x-www-form-urlencoded']],
    body: 'a=1&b=two',
    status: 200,
    bareBody: /"b":"two"/,
  },
  {
    name: 'body-parser raw',
    method: 'POST',
    path: '/body/raw',
    headers: [['Content-Type', 'application/octet-stream']],
    body: Buffer.from([0, 1, 2, 255]),
    status: 200,
    bareBody: /"bytes":4/,
  },
  { name: 'body-parser text', method: 'POST', path: '/body/text', headers: [['Content-Type', 'text/plain']], body: 'shout', status: 200, bareBody: /SHOUT/ },
  // cookie-parser
  { name: 'cookies set', path: '/cookies/set', status: 200 },
  { name: 'cookies read back (plain and signed)', path: '/cookies/read', cookiesFrom: 'cookies set', status: 200, bareBody: /"uid":"42"/ },
  // express-session (MemoryStore, saveUninitialized: every request without a cookie saves a session)
  { name: 'session set', path: '/session/set', status: 200 },
  { name: 'session read back', path: '/session/get', cookiesFrom: 'session set', status: 200, bareBody: /"color":"blue"/ },
  { name: 'session + res.status(500).json()', path: '/session/error-json', status: 500 },
  { name: 'session + raw writeHead + end', path: '/session/error-raw', status: 500 },
  { name: 'session + raw writeHead with Content-Length + end', path: '/session/error-raw-length', status: 500 },
  { name: 'session + write() chunks then end()', path: '/session/error-chunks', status: 500 },
  { name: 'session + raw writeHead + end, pipelined with the next request', path: '/session/error-raw', pipelined: true, status: 500 },
  {
    name: 'session + res.status(500).json(), gzip accepted (under the threshold)',
    path: '/session/error-json',
    headers: [['Accept-Encoding', 'gzip']],
    status: 500,
  },
  { name: 'session + raw writeHead + end, gzip accepted (compressed)', path: '/session/error-raw', headers: [['Accept-Encoding', 'gzip']], status: 500 },
  // cors
  {
    name: 'cors preflight OPTIONS',
    method: 'OPTIONS',
    path: '/api/cors',
    headers: [
      ['Origin', 'http://app.example'],
      ['Access-Control-Request-Method', 'PUT'],
      ['Access-Control-Request-Headers', 'content-type'],
    ],
    status: 204,
  },
  { name: 'cors actual request', method: 'PUT', path: '/api/cors', headers: [['Origin', 'http://app.example']], status: 200 },
  // method-override
  {
    name: 'method-override POST -> DELETE',
    method: 'POST',
    path: '/resource/7',
    headers: [['X-HTTP-Method-Override', 'DELETE']],
    status: 200,
    bareBody: /"originalMethod":"POST"/,
  },
  { name: 'method-override POST -> PUT -> JSON 409', method: 'POST', path: '/resource/7', headers: [['X-HTTP-Method-Override', 'PUT']], status: 409 },
  // express-validator
  {
    name: 'express-validator failure -> JSON 400',
    method: 'POST',
    path: '/signup',
    headers: signupHeaders,
    body: signupBad,
    status: 400,
    bareBody: /"errors"/,
  },
  {
    name: 'express-validator success',
    method: 'POST',
    path: '/signup',
    headers: signupHeaders,
    body: JSON.stringify({ email: 'ada@example.com', age: 36 }),
    status: 201,
  },
  // express-rate-limit: 2 a minute
  { name: 'rate limit 1/2', path: '/limited', status: 200 },
  { name: 'rate limit 2/2', path: '/limited', status: 200 },
  { name: 'rate limit exceeded -> JSON 429', path: '/limited', status: 429 },
  // connect-timeout
  { name: 'connect-timeout slow route -> JSON 503', path: '/slow', status: 503, bareBody: /Response timeout/ },
  { name: 'connect-timeout fast route', path: '/fast', status: 200 },
  // http-proxy-middleware to the test's upstream
  { name: 'proxied success', path: '/proxy/ok', status: 200, bareBody: /upstream/ },
  { name: 'proxied JSON 500 (Content-Length)', path: '/proxy/error', status: 500 },
  { name: 'proxied JSON 500 (chunked)', path: '/proxy/error-chunked', status: 500 },
  { name: 'proxied text 502', path: '/proxy/text', status: 502 },
  { name: 'proxied gzip JSON 500 (passes through)', path: '/proxy/error-gzip', status: 500 },
];

const HTTP_CASES: RequestCase[] = [
  { name: 'success JSON', path: '/ok', status: 200 },
  { name: 'writeHead + end', path: '/writehead-end', status: 500 },
  { name: 'writeHead with Content-Length + end', path: '/writehead-length', status: 500 },
  { name: 'writeHead + end, HTTP/1.0 client', path: '/writehead-end', http10: true, status: 500 },
  { name: 'writeHead + write() chunks + end, HTTP/1.0 client', path: '/write-chunks', http10: true, status: 502 },
  { name: 'writeHead + end, pipelined with the next request', path: '/writehead-end', pipelined: true, status: 500 },
  { name: 'writeHead + write() chunks + end, pipelined with the next request', path: '/write-chunks', pipelined: true, status: 502 },
  { name: 'writeHead + write() chunks + end', path: '/write-chunks', status: 502 },
  { name: 'writeHead with a raw header array + end', path: '/writehead-array', status: 500 },
  { name: 'setHeader + statusCode + end', path: '/setheader-end', status: 400 },
  { name: 'statusCode + statusMessage + Content-Length + end(buffer)', path: '/statuscode-end', status: 404 },
  { name: 'flushHeaders() before the body (chunked)', path: '/flush-headers', status: 500 },
  {
    name: 'flushHeaders() before the body (Content-Length)',
    path: '/flush-headers-length',
    status: 500,
    noInjection: 'its Content-Length is on the wire before the body is written',
  },
  { name: 'piped small JSON stream', path: '/piped', status: 500 },
  { name: '103 Early Hints then writeHead + end', path: '/early-hints', status: 500, bareInterim: /^HTTP\/1\.1 103 Early Hints\r\nLink: /i },
  { name: 'text/plain error (not JSON)', path: '/text-error', status: 500 },
  { name: 'HEAD of a JSON error', method: 'HEAD', path: '/writehead-end', status: 500 },
  { name: '204 No Content', path: '/no-content', status: 204 },
  { name: '304 Not Modified', path: '/not-modified', status: 304 },
  { name: 'unknown route -> JSON 404', path: '/nope', status: 404 },
];

// ---------------------------------------------------------------------------------------------------
// Normalization: only Date, and values that depend on time or randomness, each by header name.

const NORMALIZE: Record<string, (value: string) => string> = {
  'x-response-time': () => '<ms>',
  // express-session's id is random: keep the cookie's name and attributes, not its value
  'set-cookie': (value) => value.replace(/^connect\.sid=[^;]*/, 'connect.sid=<session>'),
  'x-ratelimit-reset': () => '<epoch seconds>',
  ratelimit: (value) => value.replace(/reset=\d+/, 'reset=<seconds>'),
  'retry-after': () => '<seconds>',
};
const FRAMING = new Set(['content-length', 'transfer-encoding']);

function normalizedHeaders(response: RawResponse, dropFraming: boolean): string[] {
  return response.headers
    .filter(([name]) => name.toLowerCase() !== 'date' && !(dropFraming && FRAMING.has(name.toLowerCase())))
    .map(([name, value]) => `${name}: ${NORMALIZE[name.toLowerCase()]?.(value) ?? value}`);
}

function isJsonType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [type, ...params] = contentType
    .toLowerCase()
    .split(';')
    .map((part) => part.trim());
  const charset = params.find((param) => param.startsWith('charset='));
  return (type === 'application/json' || /^application\/[^/]+\+json$/.test(type)) && (charset === undefined || /^charset="?utf-8"?$/.test(charset));
}

/** Does the README promise the field for this (bare) response? */
function injectionExpected(c: RequestCase, bare: RawResponse): boolean {
  if (c.noInjection !== undefined || (c.method ?? 'GET') === 'HEAD' || bare.status < 400) return false;
  if (!isJsonType(headerValues(bare.headers, 'content-type')[0])) return false;
  const encoding = headerValues(bare.headers, 'content-encoding')[0];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  if (bare.body.length > MAX_REWRITE_BYTES) return false;
  try {
    const parsed = JSON.parse(bare.body.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && !(FIELD in parsed);
  } catch {
    return false;
  }
}

/** The app's body with `"trace_id":"<id>"` as its last member, as the agent writes it. */
function withField(appBody: string, traceId: string): string {
  let at = appBody.lastIndexOf('}');
  while (at > 0 && /\s/.test(appBody[at - 1])) at--;
  const empty = appBody[at - 1] === '{';
  return `${appBody.slice(0, at)}${empty ? '' : ','}"${FIELD}":"${traceId}"${appBody.slice(at)}`;
}

// ---------------------------------------------------------------------------------------------------
// The upstream for http-proxy-middleware: bare, in this process, on loopback.

function startUpstream(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const send = (status: number, type: string, body: string, chunked = false) => {
      res.statusCode = status;
      res.setHeader('Content-Type', type);
      res.setHeader('X-Upstream', 'compat');
      if (!chunked) {
        res.setHeader('Content-Length', Buffer.byteLength(body));
        return res.end(body);
      }
      res.write(body.slice(0, 5));
      res.end(body.slice(5));
    };
    if (req.url === '/ok') return send(200, 'application/json', '{"upstream":"ok"}');
    if (req.url === '/error') return send(500, 'application/json', '{"error":"upstream failed"}');
    if (req.url === '/error-chunked') return send(500, 'application/json', '{"error":"upstream failed, chunked"}', true);
    if (req.url === '/text') return send(502, 'text/plain', 'bad gateway upstream');
    if (req.url === '/error-gzip') {
      const gzipped = zlib.gzipSync('{"error":"upstream failed, gzipped"}');
      res.writeHead(500, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': gzipped.length });
      return res.end(gzipped);
    }
    send(404, 'application/json', '{"error":"upstream has no such route"}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---------------------------------------------------------------------------------------------------

interface Exchange {
  bare?: KeepAliveExchange;
  agent?: KeepAliveExchange;
  error?: Error;
}

/**
 * Each case's request is keep-alive, as from a pooling client; once its response is complete the
 * same connection carries this second request: an app that keeps the connection usable bare must keep
 * it usable under the agent (and one that closes it must close it).
 */
const SECOND_REQUEST: RawRequest = { method: 'GET', path: '/probe', headers: [...BASE_HEADERS, ['Connection', 'close']] };

function describeSecond(second: RawResponse | undefined): string {
  return second === undefined ? 'no answer: the connection was closed after the first response' : `${second.statusLine} ${second.body.toString('latin1')}`;
}

interface Suite {
  title: string;
  service: string;
  script: string;
  cases: RequestCase[];
  /** The express major the app must report (LISTENING ... express@X), if any. */
  expressMajor?: number;
}

const SUITES: Suite[] = [
  { title: 'express 5 + middleware', service: 'compat-express5', script: path.join(COMPAT, 'express5-app.js'), cases: EXPRESS_CASES, expressMajor: 5 },
  { title: 'express 4 + middleware', service: 'compat-express4', script: path.join(COMPAT, 'express4', 'app.js'), cases: EXPRESS_CASES, expressMajor: 4 },
  { title: 'raw node:http', service: 'compat-http', script: path.join(COMPAT, 'http-app.js'), cases: HTTP_CASES },
];

function requestHeaders(c: RequestCase, earlier: Map<string, RawResponse | undefined>): HeaderList {
  const own = c.headers ?? [];
  const names = new Set(own.map(([name]) => name.toLowerCase()));
  const headers: HeaderList = [...BASE_HEADERS.filter(([name]) => !names.has(name.toLowerCase())), ...own];
  if (c.cookiesFrom !== undefined) {
    const from = earlier.get(c.cookiesFrom);
    if (from === undefined) throw new Error(`case "${c.name}": no response from "${c.cookiesFrom}" to take cookies from`);
    const cookies = headerValues(from.headers, 'set-cookie').map((cookie) => cookie.split(';')[0]);
    if (cookies.length === 0) throw new Error(`case "${c.name}": "${c.cookiesFrom}" set no cookie`);
    headers.push(['Cookie', cookies.join('; ')]);
  }
  return headers;
}

describe('compat: real middleware, bare vs agent, byte for byte (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  let upstream: http.Server;
  const processes: RunningApp[] = [];
  const apps = new Map<
    string,
    { bare: RunningApp; agent: RunningApp; bareEarlier: Map<string, RawResponse | undefined>; agentEarlier: Map<string, RawResponse | undefined> }
  >();
  const exchanges = new Map<string, Exchange[]>();
  /** SERVER spans already matched to a request, so two requests to one path need two spans. */
  const claimed = new Set<string>();

  function launch(suite: Suite, agent: boolean): RunningApp {
    const app = startApp(suite.script, {
      agent: agent ? 'require' : 'none',
      cwd: COMPAT,
      env: {
        TRACING_SERVICE_NAME: suite.service,
        TRACING_EXPORTER: 'otlp-http',
        TRACING_ENDPOINT: receiver.url,
        TRACING_SCHEDULE_DELAY_MS: '50',
        // express's final handler: no stack trace in the HTML (frames differ under the agent)
        NODE_ENV: 'production',
        UPSTREAM_URL: `http://127.0.0.1:${(upstream.address() as { port: number }).port}`,
      },
    });
    processes.push(app);
    return app;
  }

  /** Sends every case of a suite, in order, to the bare and the agent app at once. */
  async function runSuite(suite: Suite, ports: { bare: number; agent: number }) {
    const state = apps.get(suite.service)!;
    const results: Exchange[] = [];
    exchanges.set(suite.service, results);
    for (const c of suite.cases) {
      const exchange: Exchange = {};
      results.push(exchange);
      try {
        const request = (earlier: Map<string, RawResponse | undefined>): RawRequest => ({
          method: c.method ?? 'GET',
          path: c.path,
          version: c.http10 ? '1.0' : '1.1',
          headers: requestHeaders(c, earlier),
          body: c.body,
        });
        [exchange.bare, exchange.agent] = await Promise.all([
          keepAliveExchange(ports.bare, request(state.bareEarlier), SECOND_REQUEST, { pipelined: c.pipelined }),
          keepAliveExchange(ports.agent, request(state.agentEarlier), SECOND_REQUEST, { pipelined: c.pipelined }),
        ]);
      } catch (err) {
        exchange.error = err as Error;
      }
      state.bareEarlier.set(c.name, exchange.bare?.response);
      state.agentEarlier.set(c.name, exchange.agent?.response);
    }
  }

  before(async function () {
    receiver = await startOtlpHttpReceiver();
    upstream = await startUpstream();
    const started = SUITES.map((suite) => {
      const bare = launch(suite, false);
      const agent = launch(suite, true);
      apps.set(suite.service, { bare, agent, bareEarlier: new Map(), agentEarlier: new Map() });
      return Promise.all([bare.port(), agent.port()]).then(([barePort, agentPort]) => ({ suite, barePort, agentPort }));
    });
    // Each app once per file; the suites' request sequences run side by side.
    await Promise.all(started.map((start) => start.then(({ suite, barePort, agentPort }) => runSuite(suite, { bare: barePort, agent: agentPort }))));
  });

  after(async () => {
    await Promise.all(processes.map((app) => app.stop('SIGKILL')));
    await new Promise((resolve) => (upstream ? upstream.close(resolve) : resolve(undefined)));
    await receiver?.close();
  });

  async function serverSpan(service: string, urlPath: string, traceId?: string): Promise<ReceivedSpan> {
    const find = (spans: ReceivedSpan[]) =>
      spans.find(
        (span) =>
          span.kind === 'SERVER' &&
          span.resource['service.name'] === service &&
          span.attributes['url.path'] === urlPath &&
          !claimed.has(span.spanId) &&
          (traceId === undefined || span.traceId === traceId),
      );
    const span = find(await receiver.waitForSpans((spans) => find(spans) !== undefined, 5_000));
    claimed.add(span!.spanId);
    return span!;
  }

  for (const suite of SUITES) {
    describe(suite.title, () => {
      if (suite.expressMajor !== undefined) {
        it(`runs express ${suite.expressMajor}, bare and under the agent`, () => {
          const state = apps.get(suite.service)!;
          for (const app of [state.bare, state.agent]) expect(app.stdout).to.match(new RegExp(`LISTENING \\d+ express@${suite.expressMajor}\\.`));
        });

        it('loads every middleware pinned in test/fixtures/compat/package.json, each at an exact version', () => {
          const pinned: Record<string, string> = JSON.parse(fs.readFileSync(path.join(COMPAT, 'package.json'), 'utf8')).dependencies;
          for (const [name, version] of Object.entries(pinned)) expect(version, name).to.match(/^\d+\.\d+\.\d+$/);
          const express4: Record<string, string> = JSON.parse(fs.readFileSync(path.join(COMPAT, 'express4', 'package.json'), 'utf8')).dependencies;
          expect(express4.express).to.match(/^4\.\d+\.\d+$/);
          const state = apps.get(suite.service)!;
          for (const app of [state.bare, state.agent]) {
            const loaded = /^LOADED (.*)$/m.exec(app.stdout)?.[1].split(' ') ?? [];
            expect(loaded.sort()).to.deep.equal(Object.keys(pinned).sort());
          }
        });
      }

      suite.cases.forEach((c, index) => {
        const method = c.method ?? 'GET';
        it(`${c.name}: ${method} ${c.path}`, async () => {
          const exchange = exchanges.get(suite.service)![index];
          if (exchange.error) throw exchange.error;
          const bare = exchange.bare!.response;
          const agent = exchange.agent!.response;
          const shown =
            `\n--- bare:\n${describeResponse(bare)}\n--- then: ${describeSecond(exchange.bare!.second)}` +
            `\n--- agent:\n${describeResponse(agent)}\n--- then: ${describeSecond(exchange.agent!.second)}\n`;
          // The fixture itself: the bare app must answer as the case says, soundly framed.
          expect(bare.problems, `bare framing${shown}`).to.deep.equal([]);
          expect(bare.status, `bare status${shown}`).to.equal(c.status);
          if (c.bareBody) expect(bare.body.toString('utf8'), `bare body${shown}`).to.match(c.bareBody);
          if (c.bareInterim) expect(bare.interim.join('\n'), `bare interim responses${shown}`).to.match(c.bareInterim);

          // The agent's response: sound framing (a Content-Length equals the body), same status line.
          expect(agent.problems, `agent framing${shown}`).to.deep.equal([]);
          expect(agent.interim, `interim (1xx) responses${shown}`).to.deep.equal(bare.interim);
          expect(agent.statusLine, `status line${shown}`).to.equal(bare.statusLine);
          expect(describeSecond(exchange.agent!.second), `a second request on the same connection${shown}`).to.equal(describeSecond(exchange.bare!.second));

          const inject = injectionExpected(c, bare);
          const urlPath = c.path.split('?')[0];
          if (inject) {
            const match = new RegExp(`"${FIELD}":"([0-9a-f]{32})"\\}$`).exec(agent.body.toString('utf8').trimEnd());
            expect(match, `the agent's JSON error body must end with "${FIELD}":"<32 hex>"${shown}`).to.not.equal(null);
            const traceId = match![1];
            expect(agent.body.toString('utf8'), `body = app's body + the field${shown}`).to.equal(withField(bare.body.toString('utf8'), traceId));
            expect(normalizedHeaders(agent, true), `headers (less framing)${shown}`).to.deep.equal(normalizedHeaders(bare, true));
            const span = await serverSpan(suite.service, urlPath, traceId);
            expect(span.traceId).to.equal(traceId);
          } else {
            // latin1 maps bytes 1:1, so a failure shows exactly where the bytes differ
            expect(agent.body.toString('latin1'), `body bytes${shown}`).to.equal(bare.body.toString('latin1'));
            expect(normalizedHeaders(agent, false), `headers${shown}`).to.deep.equal(normalizedHeaders(bare, false));
            await serverSpan(suite.service, urlPath);
          }
        });
      });
    });
  }

  // After every case above (its own describe, so mocha runs it after the other suites).
  describe('afterwards', () => {
    it('no agent process reported an internal error', () => {
      for (const [service, state] of apps) expect(state.agent.stderr, service).to.not.match(/otel-agent: .*internal error/i);
    });

    // express's final handler logs each error it gets (err.stack on stderr): an error that only the
    // agent's app logged is an exception the agent caused inside the app, even where the bytes matched.
    for (const suite of SUITES) {
      it(`${suite.title}: the agent's app logged no error the bare app did not`, () => {
        const state = apps.get(suite.service)!;
        const errors = (stderr: string) => (stderr.match(/^\w*Error\b.*$/gm) ?? []).sort();
        expect(errors(state.agent.stderr)).to.deep.equal(errors(state.bare.stderr));
      });
    }
  });
});
