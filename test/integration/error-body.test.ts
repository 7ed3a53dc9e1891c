/**
 * The trace id in JSON error bodies, end to end: real `node -r register` fixture apps (raw node:http,
 * express 5, express 4) against a real OTLP gRPC receiver. Every response is compared with the same
 * fixture run without the agent: rewritten bodies must be the app's bytes plus the field (holding the
 * trace id of the server span the receiver got), everything else must be byte for byte the same.
 */
import * as http from 'http';
import * as path from 'path';
import { expect } from 'chai';
import { startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture, FIXTURES } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { Receiver, ReceivedSpan } from '../helpers/receivers';

interface RawResponse {
  status: number;
  statusMessage: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** node:http, not fetch: exact bytes, no decompression, one connection per request. */
function request(port: number, urlPath: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, agent: false, headers: { 'accept-encoding': 'identity' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, statusMessage: res.statusMessage!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const FRAMING_HEADERS = ['content-length', 'content-type', 'content-encoding', 'transfer-encoding'] as const;
const EXPRESS4 = path.join(FIXTURES, 'express4', 'node_modules', 'express');

interface App {
  service: string;
  port: number;
  process: RunningApp;
}

/** Server-Timing as the agent writes it: the RUM agents' traceparent form and the W3C draft's trace form. */
function timing(span: { traceId: string; spanId: string }): string {
  const traceparent = `00-${span.traceId}-${span.spanId}-01`;
  return `traceparent;desc="${traceparent}", trace;desc=${traceparent}`;
}

describe('JSON error bodies carry the trace id (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  const running: RunningApp[] = [];
  const apps: Record<string, App> = {};

  function launch(name: string, script: string, options: { agent?: 'none'; env?: Record<string, string> } = {}) {
    const app = startApp(fixture(script), {
      agent: options.agent ?? 'require',
      env: {
        TRACING_SERVICE_NAME: name,
        TRACING_ENDPOINT: receiver.url,
        TRACING_SCHEDULE_DELAY_MS: '50',
        TRACING_LOG_LEVEL: 'warn',
        NODE_ENV: 'production', // express's final handler: no stack trace (frames differ with the agent)
        ...options.env,
      },
    });
    running.push(app);
    return app.port().then((port) => (apps[name] = { service: name, port, process: app }));
  }

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
    await Promise.all([
      launch('http', 'error-body-http.js'),
      launch('http-bare', 'error-body-http.js', { agent: 'none' }),
      launch('express5', 'error-body-express.js'),
      launch('express5-bare', 'error-body-express.js', { agent: 'none' }),
      launch('express4', 'error-body-express.js', { env: { EXPRESS_MODULE: EXPRESS4, TRACING_RESPONSE_HEADER: 'true' } }),
      launch('express4-bare', 'error-body-express.js', { agent: 'none', env: { EXPRESS_MODULE: EXPRESS4 } }),
      launch('http-min500', 'error-body-http.js', { env: { TRACING_ERROR_STATUS_MIN: '500', TRACING_ERROR_BODY_FIELD: 'traceId' } }),
      // Keeping errors off: this app shows what head sampling alone does (keep-by-outcome.test.ts covers keeping).
      launch('http-unsampled', 'error-body-http.js', { env: { TRACING_SAMPLE_RATE: '0', TRACING_KEEP_ERRORS: 'false' } }),
      launch('http-header-only', 'error-body-http.js', { env: { TRACING_ERROR_BODY_TRACE_ID: 'false', TRACING_RESPONSE_HEADER: 'true' } }),
    ]);
  });

  after(async () => {
    await Promise.all(running.map((app) => app.stop('SIGKILL')));
    await receiver?.close();
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    for (const [name, app] of Object.entries(apps)) if (app.process.stderr) console.log(`--- ${name} stderr (tail)\n${app.process.stderr.slice(-1500)}`);
  });

  async function serverSpan(service: string, urlPath: string): Promise<ReceivedSpan> {
    const find = (spans: ReceivedSpan[]) =>
      spans.find((s) => s.kind === 'SERVER' && s.resource['service.name'] === service && s.attributes['url.path'] === urlPath);
    return find(await receiver.waitForSpans((spans) => find(spans) !== undefined))!;
  }

  /** The app's body with `"field":"traceId"` as last member, as the agent writes it. */
  function withField(appBody: string, field: string, traceId: string): string {
    const close = appBody.lastIndexOf('}');
    let at = close;
    while (at > 0 && /\s/.test(appBody[at - 1])) at--;
    const empty = appBody[at - 1] === '{';
    return `${appBody.slice(0, at)}${empty ? '' : ','}"${field}":"${traceId}"${appBody.slice(at)}`;
  }

  async function expectTraceIdAdded(appName: string, bareName: string, urlPath: string, field = 'trace_id', checkServerTiming = false) {
    const app = apps[appName];
    const [traced, bare] = await Promise.all([request(app.port, urlPath), request(apps[bareName].port, urlPath)]);
    expect(traced.status, urlPath).to.equal(bare.status);
    expect(traced.statusMessage, urlPath).to.equal(bare.statusMessage);
    const span = await serverSpan(app.service, urlPath);
    const body = traced.body.toString('utf8');
    expect(body, urlPath).to.equal(withField(bare.body.toString('utf8'), field, span.traceId));
    expect(JSON.parse(body)).to.deep.equal({ ...JSON.parse(bare.body.toString('utf8')), [field]: span.traceId });
    if (bare.headers['content-length'] !== undefined) expect(traced.headers['content-length'], urlPath).to.equal(String(traced.body.length));
    else expect(traced.headers['content-length'], urlPath).to.equal(undefined);
    expect(traced.headers['transfer-encoding'], urlPath).to.equal(bare.headers['transfer-encoding']);
    expect(traced.headers['content-type'], urlPath).to.equal(bare.headers['content-type']);
    if (checkServerTiming) expect(traced.headers['server-timing']).to.equal(timing(span));
  }

  async function expectUnchanged(appName: string, bareName: string, urlPath: string, method = 'GET') {
    const [traced, bare] = await Promise.all([request(apps[appName].port, urlPath, method), request(apps[bareName].port, urlPath, method)]);
    expect(traced.status, urlPath).to.equal(bare.status);
    // latin1 maps bytes 1:1, so a failure shows where the bytes differ
    expect(traced.body.toString('latin1'), `${method} ${urlPath} body`).to.equal(bare.body.toString('latin1'));
    for (const name of FRAMING_HEADERS) expect(traced.headers[name], `${method} ${urlPath} ${name}`).to.equal(bare.headers[name]);
    return traced;
  }

  async function appLog(appName: string, done: (log: any) => boolean): Promise<any> {
    for (let attempt = 0; ; attempt++) {
      const log = JSON.parse((await request(apps[appName].port, '/log')).body.toString('utf8'));
      if (done(log) || attempt > 40) return log;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  describe('raw node:http', () => {
    for (const urlPath of [
      '/writehead-object',
      '/writehead-array',
      '/writehead-pairs',
      '/writehead-reason',
      '/writehead-chunked',
      '/writehead-merged',
      '/setheader',
      '/statuscode',
      '/empty-object',
      '/pretty',
      '/unicode',
      '/chunks',
      '/chunks-writehead-length',
      '/base64',
      '/latin1-ascii',
      '/hex-write',
      '/await-write-callback',
      '/status-404',
      '/implicit-header-check',
      '/flush-headers',
      '/piped-small',
    ]) {
      it(`adds the trace id: ${urlPath}`, () => expectTraceIdAdded('http', 'http-bare', urlPath));
    }

    it('calls every write/end callback, for end(chunk, enc, cb), end(chunk, cb) and end(cb)', async () => {
      const paths = ['/callbacks', '/callbacks-end-cb', '/callbacks-end-chunk-cb'];
      for (const urlPath of paths) await expectTraceIdAdded('http', 'http-bare', urlPath);
      const complete = (log: any) => log['/callbacks']?.length === 3 && log['/callbacks-end-cb']?.length === 2 && log['/callbacks-end-chunk-cb']?.length === 1;
      const [traced, bare] = await Promise.all([appLog('http', complete), appLog('http-bare', complete)]);
      for (const urlPath of paths) expect([...traced[urlPath]].sort(), urlPath).to.deep.equal([...bare[urlPath]].sort());
    });

    it('keeps headersSent, late setHeader errors, writableEnded and finish/close as they were, and still adds the trace id', async () => {
      // The header is never held back: a setHeader() after writeHead() throws as it does without the agent,
      // and the body is still extended (the old design released the held header there and gave up).
      await expectTraceIdAdded('http', 'http-bare', '/state');
      const closed = (log: any) => log['/state']?.close === true;
      const [traced, bare] = await Promise.all([appLog('http', closed), appLog('http-bare', closed)]);
      expect(bare['/state']).to.include({ headersSentAfterWriteHead: true, lateSetHeader: 'ERR_HTTP_HEADERS_SENT', finish: true });
      expect(traced['/state']).to.deep.equal(bare['/state']);
    });

    for (const [method, urlPath] of [
      ['GET', '/text'],
      ['GET', '/array'],
      ['GET', '/scalar'],
      ['GET', '/invalid'],
      ['GET', '/latin1-non-utf8'],
      ['GET', '/charset-latin1'],
      ['GET', '/gzip'],
      ['HEAD', '/head'],
      ['GET', '/no-content'],
      ['GET', '/not-modified'],
      ['GET', '/large'],
      ['GET', '/stream'],
      ['GET', '/has-field'],
      ['GET', '/flush-headers-length'],
      ['GET', '/status-399'],
      ['GET', '/ok'],
    ]) {
      it(`passes through byte for byte: ${method} ${urlPath}`, () => expectUnchanged('http', 'http-bare', urlPath, method));
    }
  });

  for (const [major, appName] of [
    ['5', 'express5'],
    ['4', 'express4'],
  ]) {
    describe(`express ${major}`, () => {
      it(`runs express ${major}`, () => {
        for (const name of [appName, `${appName}-bare`]) expect(apps[name].process.stdout).to.match(new RegExp(`express@${major}\\.`));
      });
      const serverTiming = appName === 'express4'; // this one also runs with TRACING_RESPONSE_HEADER=true
      for (const urlPath of ['/json', '/send-object', '/type-json-string', '/problem', '/unicode', '/thrown', '/next-later']) {
        it(`adds the trace id: ${urlPath}`, () => expectTraceIdAdded(appName, `${appName}-bare`, urlPath, 'trace_id', serverTiming));
      }
      for (const urlPath of ['/unhandled', '/array', '/has-field', '/ok']) {
        it(`passes through byte for byte: ${urlPath}`, async () => {
          const response = await expectUnchanged(appName, `${appName}-bare`, urlPath);
          if (urlPath === '/unhandled') expect(response.headers['content-type']).to.match(/^text\/html/);
        });
      }
    });
  }

  describe('options', () => {
    it('TRACING_ERROR_STATUS_MIN=500 leaves a 404 alone; TRACING_ERROR_BODY_FIELD=traceId names the field', async () => {
      await expectUnchanged('http-min500', 'http-bare', '/status-404');
      await expectTraceIdAdded('http-min500', 'http-bare', '/writehead-object', 'traceId');
    });

    it('unsampled requests (TRACING_SAMPLE_RATE=0, TRACING_KEEP_ERRORS=false) still get a valid trace id, and no span is exported', async () => {
      const response = await request(apps['http-unsampled'].port, '/writehead-object');
      const body = JSON.parse(response.body.toString('utf8'));
      expect(body.trace_id).to.match(/^[0-9a-f]{32}$/);
      expect(body.trace_id).to.not.equal('0'.repeat(32));
      expect(response.headers['content-length']).to.equal(String(response.body.length));
      // the sampled apps' spans arrive within ~100 ms; give the unsampled one ten times that
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(receiver.spans.filter((span) => span.resource['service.name'] === 'http-unsampled')).to.deep.equal([]);
    });

    it('TRACING_ERROR_BODY_TRACE_ID=false leaves bodies alone; TRACING_RESPONSE_HEADER=true adds Server-Timing', async () => {
      for (const urlPath of ['/writehead-object', '/chunks', '/setheader', '/writehead-pairs']) {
        const response = await expectUnchanged('http-header-only', 'http-bare', urlPath);
        const span = await serverSpan('http-header-only', urlPath);
        expect(response.headers['server-timing'], urlPath).to.equal(timing(span));
        expect(response.headers['access-control-expose-headers'], urlPath).to.equal('Server-Timing');
      }
    });

    it('appends to an existing Server-Timing and Access-Control-Expose-Headers, without duplicates', async () => {
      const timed = await request(apps['http-header-only'].port, '/server-timing');
      const span = await serverSpan('http-header-only', '/server-timing');
      expect(timed.headers['server-timing']).to.equal(`db;dur=53, ${timing(span)}`);
      expect(timed.headers['access-control-expose-headers']).to.equal('X-Request-Id, Server-Timing');
      const exposed = await request(apps['http-header-only'].port, '/expose-existing');
      expect(exposed.headers['access-control-expose-headers']).to.equal('x-request-id, server-timing');
      expect(exposed.headers['server-timing']).to.match(/^traceparent;desc="00-[0-9a-f]{32}-[0-9a-f]{16}-01", trace;desc=00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    });
  });

  // Last (mocha runs a suite's own tests before its nested suites): after every request above.
  describe('afterwards', () => {
    it('no app reported an internal error (nothing failed open silently)', () => {
      for (const app of running) expect(app.stderr).to.not.include('internal error');
    });
  });
});
