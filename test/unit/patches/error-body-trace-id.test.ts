/**
 * The error-body patch's pure parts (content-type matching, the byte-preserving JSON rewrite, chunk
 * decoding, the Server-Timing value), then patch/unpatch and fail-open on an in-process server whose
 * requests get a span context through rememberServerSpan (no SDK needed).
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { expect } from 'chai';
import { trace, TraceFlags } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import {
  appendExposedHeader,
  appendServerTiming,
  chunkToBuffer,
  errorBodyTraceIdPatch,
  injectTraceIdIntoJsonBody,
  isIdentityContentEncoding,
  isJsonContentType,
  MAX_REWRITE_BYTES,
  serverTimingEntry,
} from '../../../src/patches/error-body-trace-id';
import { rememberServerSpan } from '../../../src/patches/request-spans';
import { responseTraceHeaderPatch } from '../../../src/patches/response-trace-header';
import { setSafeLogger } from '../../../src/safe';
import { createLogger } from '../../../src/logger';
import type { AgentConfig } from '../../../src/config/types';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const FIELD = `"trace_id":"${TRACE_ID}"`;

describe('error-body-trace-id', () => {
  describe('isJsonContentType', () => {
    for (const value of [
      'application/json',
      'APPLICATION/JSON',
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'application/json; charset="utf-8"',
      'application/json; charset=utf8',
      'application/problem+json',
      'application/problem+json; charset=utf-8',
      'application/vnd.api+json',
      'application/json; version=2',
    ]) {
      it(`accepts ${value}`, () => expect(isJsonContentType(value)).to.equal(true));
    }
    for (const value of [
      undefined,
      '',
      'text/html; charset=utf-8',
      'text/plain',
      'application/jsonp',
      'application/json-seq',
      'application/x-ndjson',
      'text/json',
      'application/json; charset=iso-8859-1',
      'application/json; charset=utf-16',
      ['application/json', 'application/json'],
      42,
    ]) {
      it(`rejects ${JSON.stringify(value)}`, () => expect(isJsonContentType(value)).to.equal(false));
    }
  });

  describe('isIdentityContentEncoding', () => {
    it('accepts no encoding and identity', () => {
      for (const value of [undefined, null, '', 'identity', ' Identity ']) expect(isIdentityContentEncoding(value), String(value)).to.equal(true);
    });
    it('rejects any real coding', () => {
      for (const value of ['gzip', 'br', 'deflate', 'gzip, identity', ['gzip'], 1]) expect(isIdentityContentEncoding(value), String(value)).to.equal(false);
    });
  });

  describe('injectTraceIdIntoJsonBody', () => {
    const inject = (body: string, field?: string) => injectTraceIdIntoJsonBody(Buffer.from(body), TRACE_ID, field)?.toString('utf8');

    it('appends the field as the last member, leaving every other byte as it was', () => {
      expect(inject('{"error":"boom"}')).to.equal(`{"error":"boom",${FIELD}}`);
    });
    it('returns a Buffer for a Buffer and a string for a string', () => {
      expect(Buffer.isBuffer(injectTraceIdIntoJsonBody(Buffer.from('{"a":1}'), TRACE_ID))).to.equal(true);
      expect(injectTraceIdIntoJsonBody('{"a":1}', TRACE_ID)).to.equal(`{"a":1,${FIELD}}`);
    });
    it('handles the empty object without a comma', () => {
      expect(inject('{}')).to.equal(`{${FIELD}}`);
      expect(inject(' { \n } ')).to.equal(` {${FIELD} \n } `);
    });
    it('keeps pretty-printing, big numbers, duplicate keys and surrounding whitespace', () => {
      expect(inject('{\n  "a": 12345678901234567890,\n  "a": 1.0\n}\n')).to.equal(`{\n  "a": 12345678901234567890,\n  "a": 1.0,${FIELD}\n}\n`);
    });
    it('keeps multi-byte UTF-8 intact', () => {
      const out = injectTraceIdIntoJsonBody(Buffer.from('{"e":"héllo ☃ 😀"}'), TRACE_ID)!;
      expect(out.equals(Buffer.concat([Buffer.from('{"e":"héllo ☃ 😀"'), Buffer.from(`,${FIELD}}`)]))).to.equal(true);
    });
    it('uses a custom field name', () => {
      expect(inject('{"error":"boom"}', 'traceId')).to.equal(`{"error":"boom","traceId":"${TRACE_ID}"}`);
    });
    it('leaves a body alone that already has the field at the top level', () => {
      expect(inject('{"error":"boom","trace_id":"mine"}')).to.equal(undefined);
      expect(inject('{"trace_id":null}')).to.equal(undefined);
      expect(inject('{"traceId":"x"}', 'traceId')).to.equal(undefined);
    });
    it('adds the field when only a nested object has it', () => {
      expect(inject('{"inner":{"trace_id":"x"}}')).to.equal(`{"inner":{"trace_id":"x"},${FIELD}}`);
    });
    it('leaves arrays, scalars and invalid JSON alone', () => {
      for (const body of [
        '[{"a":1}]',
        '[]',
        '"boom"',
        '42',
        'null',
        'true',
        '',
        '   ',
        '{"a":',
        '{"a":1}}',
        '{"a":1} {"b":2}',
        '{a:1}',
        "{'a':1}",
        '{"a":1,}',
        'not json',
      ])
        expect(inject(body), body).to.equal(undefined);
    });
    it('leaves invalid UTF-8 and a byte-order mark alone', () => {
      expect(injectTraceIdIntoJsonBody(Buffer.from('{"e":"café"}', 'latin1'), TRACE_ID)).to.equal(undefined);
      expect(inject('\uFEFF{"a":1}')).to.equal(undefined);
    });
    it('checks own properties only', () => {
      expect(inject('{"a":1}', 'toString')).to.equal(`{"a":1,"toString":"${TRACE_ID}"}`);
      expect(inject('{"__proto__":1}', '__proto__')).to.equal(undefined);
    });
  });

  describe('chunkToBuffer', () => {
    it('decodes string chunks with their encoding argument', () => {
      const body = '{"e":"café"}';
      expect(chunkToBuffer(body)!.equals(Buffer.from(body))).to.equal(true);
      expect(chunkToBuffer(body, 'utf8')!.equals(Buffer.from(body))).to.equal(true);
      expect(chunkToBuffer(body, 'latin1')!.equals(Buffer.from(body, 'latin1'))).to.equal(true);
      expect(chunkToBuffer(Buffer.from(body).toString('base64'), 'base64')!.toString()).to.equal(body);
      expect(chunkToBuffer(Buffer.from(body).toString('hex'), 'hex')!.toString()).to.equal(body);
    });
    it('copies binary chunks (Buffer and Uint8Array), ignoring the encoding', () => {
      const source = Buffer.from('{"a":1}');
      const copy = chunkToBuffer(source, 'base64')!;
      source[1] = 0x78;
      expect(copy.toString()).to.equal('{"a":1}');
      expect(chunkToBuffer(new Uint8Array([0x7b, 0x7d]))!.toString()).to.equal('{}');
    });
    it('returns undefined for what Node itself would reject', () => {
      expect(chunkToBuffer('{}', 'klingon')).to.equal(undefined);
      expect(chunkToBuffer(42)).to.equal(undefined);
      expect(chunkToBuffer({})).to.equal(undefined);
      expect(chunkToBuffer(null)).to.equal(undefined);
    });
  });

  describe('Server-Timing', () => {
    it('formats the trace context metric with two hex flag digits', () => {
      expect(serverTimingEntry({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED })).to.equal(
        `traceparent;desc="00-${TRACE_ID}-${SPAN_ID}-01", trace;desc=00-${TRACE_ID}-${SPAN_ID}-01`,
      );
      expect(serverTimingEntry({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.NONE })).to.equal(
        `traceparent;desc="00-${TRACE_ID}-${SPAN_ID}-00", trace;desc=00-${TRACE_ID}-${SPAN_ID}-00`,
      );
    });
    it('appends to an existing value with ", "', () => {
      expect(appendServerTiming(undefined, 'trace;desc=x')).to.equal('trace;desc=x');
      expect(appendServerTiming('db;dur=53', 'trace;desc=x')).to.equal('db;dur=53, trace;desc=x');
      expect(appendServerTiming(['db;dur=53', 'cache;desc=hit'], 'trace;desc=x')).to.equal('db;dur=53, cache;desc=hit, trace;desc=x');
      expect(appendServerTiming('trace;desc=x', 'trace;desc=x')).to.equal('trace;desc=x');
    });
    it('adds Server-Timing to Access-Control-Expose-Headers once', () => {
      expect(appendExposedHeader(undefined, 'Server-Timing')).to.equal('Server-Timing');
      expect(appendExposedHeader('X-Request-Id', 'Server-Timing')).to.equal('X-Request-Id, Server-Timing');
      expect(appendExposedHeader('x-request-id, server-timing', 'Server-Timing')).to.equal('x-request-id, server-timing');
      expect(appendExposedHeader(['a', 'SERVER-TIMING'], 'Server-Timing')).to.equal('a, SERVER-TIMING');
    });
  });

  describe('patch on an in-process server', () => {
    const proto = http.ServerResponse.prototype as unknown as Record<string, unknown>;
    const unpatched = { writeHead: proto.writeHead, write: proto.write, end: proto.end, flushHeaders: proto.flushHeaders };
    const config = { errorBodyTraceId: true, errorBodyField: 'trace_id', errorStatusMin: 400, responseHeader: false } as AgentConfig;
    const warnings: string[] = [];
    let spanFor: (req: http.IncomingMessage) => Span = () => trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
    let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void = () => {};
    let server: http.Server;
    let port: number;

    const get = (path = '/') =>
      new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
          })
          .on('error', reject);
      });

    before(async () => {
      const logger = createLogger('warn', (line) => warnings.push(line));
      setSafeLogger(logger);
      server = http.createServer((req, res) => {
        rememberServerSpan(req, spanFor(req));
        handler(req, res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      errorBodyTraceIdPatch.unpatch();
      setSafeLogger(createLogger('none'));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    afterEach(() => errorBodyTraceIdPatch.unpatch());

    it('is enabled by the body option; the response header is a patch of its own', () => {
      expect(errorBodyTraceIdPatch.isEnabled({ ...config, errorBodyTraceId: false })).to.equal(false);
      expect(errorBodyTraceIdPatch.isEnabled({ ...config, errorBodyTraceId: false, responseHeader: true })).to.equal(false);
      expect(errorBodyTraceIdPatch.isEnabled(config)).to.equal(true);
      expect(responseTraceHeaderPatch.isEnabled({ ...config, errorBodyTraceId: false, responseHeader: true })).to.equal(true);
      expect(responseTraceHeaderPatch.isEnabled(config)).to.equal(false);
    });

    it('the response header patch adds Server-Timing to any response, and the body patch still rewrites under it', async () => {
      responseTraceHeaderPatch.patch({ config: { ...config, responseHeader: true }, logger: createLogger('none') });
      errorBodyTraceIdPatch.patch({ config, logger: createLogger('none') });
      try {
        handler = (req, res) => res.writeHead(req.url === '/ok' ? 200 : 500, { 'content-type': 'application/json' }).end('{"e":1}');
        const ok = await get('/ok');
        const failed = await get('/fail');
        expect(ok.body).to.equal('{"e":1}');
        expect(failed.body).to.equal(`{"e":1,${FIELD}}`);
        for (const response of [ok, failed]) {
          expect(response.headers['server-timing']).to.equal(serverTimingEntry({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED }));
          expect(response.headers['access-control-expose-headers']).to.equal('Server-Timing');
        }
      } finally {
        errorBodyTraceIdPatch.unpatch();
        responseTraceHeaderPatch.unpatch();
      }
      expect(proto.writeHead).to.equal(unpatched.writeHead);
      expect((await get('/ok')).headers['server-timing']).to.equal(undefined);
    });

    it('installs named wrappers once and unpatch restores the prototype exactly', async () => {
      errorBodyTraceIdPatch.patch({ config, logger: createLogger('none') });
      errorBodyTraceIdPatch.patch({ config, logger: createLogger('none') });
      expect((proto.writeHead as () => void).name).to.equal('writeHeadWithTraceId');
      expect((proto.end as () => void).name).to.equal('endWithTraceId');
      handler = (req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"e":1}');
      expect((await get()).body).to.equal(`{"e":1,${FIELD}}`);

      errorBodyTraceIdPatch.unpatch();
      expect(proto.writeHead).to.equal(unpatched.writeHead);
      for (const method of ['write', 'end', 'flushHeaders']) expect(Object.prototype.hasOwnProperty.call(proto, method), method).to.equal(false);
      expect({ write: proto.write, end: proto.end, flushHeaders: proto.flushHeaders }).to.deep.equal({
        write: unpatched.write,
        end: unpatched.end,
        flushHeaders: unpatched.flushHeaders,
      });
      expect((await get()).body).to.equal('{"e":1}');
    });

    it("leaves a later tool's wrapper in place on unpatch, and ours then passes through", async () => {
      errorBodyTraceIdPatch.patch({ config, logger: createLogger('none') });
      const ours = proto.end as (...args: unknown[]) => unknown;
      proto.end = function otherToolEnd(this: unknown, ...args: unknown[]) {
        return ours.apply(this, args);
      };
      errorBodyTraceIdPatch.unpatch();
      expect((proto.end as () => void).name).to.equal('otherToolEnd');
      handler = (req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"e":1}');
      expect((await get()).body).to.equal('{"e":1}');
      // the other tool unwraps: ours is back on top, and a second unpatch removes it
      proto.end = ours;
      errorBodyTraceIdPatch.unpatch();
      expect(Object.prototype.hasOwnProperty.call(proto, 'end')).to.equal(false);
    });

    it('releases a held writeHead on unpatch so the response still completes', async () => {
      errorBodyTraceIdPatch.patch({ config, logger: createLogger('none') });
      handler = (req, res) => {
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': 7 });
        errorBodyTraceIdPatch.unpatch();
        res.end('{"e":1}');
      };
      const response = await get();
      expect(response).to.include({ status: 500, body: '{"e":1}' });
      expect(response.headers['content-length']).to.equal('7');
    });

    it('fails open: an internal error sends the original response and warns once', async () => {
      errorBodyTraceIdPatch.patch({ config, logger: createLogger('none') });
      spanFor = () =>
        ({
          spanContext: () => {
            throw new Error('broken span');
          },
        }) as unknown as Span;
      handler = (req, res) => {
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': 7 });
        res.write('{"e":');
        res.end('1}');
      };
      try {
        const first = await get();
        const second = await get();
        for (const response of [first, second]) {
          expect(response).to.include({ status: 500, body: '{"e":1}' });
          expect(response.headers['content-length']).to.equal('7');
        }
        const reported = warnings.filter((line) => line.includes('error-body-trace-id end'));
        expect(reported).to.have.length(1);
        expect(reported[0]).to.include('broken span');
      } finally {
        spanFor = () => trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
      }
    });

    it('holds at most MAX_REWRITE_BYTES, then replays the held chunks unchanged', async () => {
      errorBodyTraceIdPatch.patch({ config, logger: createLogger('none') });
      const piece = 'z'.repeat(16 * 1024);
      const pieces = Math.ceil(MAX_REWRITE_BYTES / piece.length) + 2;
      handler = (req, res) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.write('{"z":"');
        for (let i = 0; i < pieces; i++) res.write(piece);
        res.end('"}');
      };
      expect((await get()).body).to.equal(`{"z":"${piece.repeat(pieces)}"}`);
    });
  });
});
