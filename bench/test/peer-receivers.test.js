'use strict';
// The peers' receivers count what each peer exports; a miscount would make the side-by-side table lie.
// Run: npx mocha --no-config --timeout 60000 --reporter dot bench/test/*.test.js
const { expect } = require('chai');
const http = require('node:http');
const zlib = require('node:zlib');
const { startDatadogAgentReceiver, startApmServerReceiver, takeCounters, countDatadogSpans } = require('../lib/peer-receivers');

// A minimal msgpack encoder for the fixtures (arrays, maps, strings, ints, floats, null, booleans).
function mp(v) {
  if (v === null) return Buffer.from([0xc0]);
  if (v === true || v === false) return Buffer.from([v ? 0xc3 : 0xc2]);
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 128) return Buffer.from([v]);
  if (typeof v === 'bigint') {
    const b = Buffer.alloc(9);
    b[0] = 0xcf;
    b.writeBigUInt64BE(v, 1);
    return b;
  }
  if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b[0] = 0xcb;
    b.writeDoubleBE(v, 1);
    return b;
  }
  if (typeof v === 'string') {
    const s = Buffer.from(v);
    if (s.length < 32) return Buffer.concat([Buffer.from([0xa0 | s.length]), s]);
    return Buffer.concat([Buffer.from([0xd9, s.length]), s]);
  }
  if (Array.isArray(v)) {
    const head = v.length < 16 ? Buffer.from([0x90 | v.length]) : Buffer.from([0xdc, v.length >> 8, v.length & 0xff]);
    return Buffer.concat([head, ...v.map(mp)]);
  }
  const entries = Object.entries(v);
  const head = entries.length < 16 ? Buffer.from([0x80 | entries.length]) : Buffer.from([0xde, entries.length >> 8, entries.length & 0xff]);
  return Buffer.concat([head, ...entries.flatMap(([k, x]) => [mp(k), mp(x)])]);
}
const span = (i) => ({
  trace_id: 123456789012345678n,
  span_id: BigInt(i + 1),
  parent_id: 0n,
  name: 'express.request',
  resource: 'GET /users/:id',
  service: 'bench',
  start: 1.7e18,
  duration: 123456,
  error: 0,
  meta: { 'http.url': 'http://127.0.0.1/users/42?' + 'x'.repeat(40), 'http.method': 'GET' },
  metrics: { _sampling_priority_v1: 1, '_dd.measured': 1 },
});
// 20 spans in one trace exercise array16 headers; wide maps exercise map16.
const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));

function request(url, { method = 'POST', path, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url + path, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('bench peer receivers', () => {
  describe('countDatadogSpans', () => {
    it('counts the spans of every trace in a v0.4 payload', () => {
      const body = mp([[span(0), span(1), span(2)], Array.from({ length: 20 }, (_, i) => ({ ...span(i), meta: wide }))]);
      expect(countDatadogSpans(body, '0.4')).to.equal(23);
    });
    it('counts a v0.5 payload ([strings, traces], spans as arrays)', () => {
      const body = mp([
        ['', 'bench', 'express.request'],
        [
          [[1, 2, 0, 5n, 6n, 0n, 1.5, 7, 0, {}, {}, 0]],
          [
            [1, 2, 0, 5n, 7n, 5n, 1.5, 7, 0, {}, {}, 0],
            [1, 2, 0, 5n, 8n, 5n, 1.5, 7, 0, {}, {}, 0],
          ],
        ],
      ]);
      expect(countDatadogSpans(body, '0.5')).to.equal(3);
    });
    it('throws on a truncated payload rather than counting a guess', () => {
      const body = mp([[span(0), span(1)]]);
      expect(() => countDatadogSpans(body.subarray(0, body.length - 10), '0.4')).to.throw(RangeError);
    });
  });

  describe('Datadog-agent-shaped receiver', () => {
    let r;
    before(async () => (r = await startDatadogAgentReceiver()));
    after(() => r.server.close());

    it('answers PUT /v0.4/traces like an agent and counts bytes and spans', async () => {
      const body = mp([[span(0), span(1)], [span(2)]]);
      const res = await request(r.url, { method: 'PUT', path: '/v0.4/traces', headers: { 'content-type': 'application/msgpack' }, body });
      expect(res.status).to.equal(200);
      expect(JSON.parse(res.text)).to.deep.equal({ rate_by_service: {} });
      const c = takeCounters(r);
      expect(c).to.include({ bytes: body.length, spans: 3, exports: 1, decodeErrors: 0 });
      expect(takeCounters(r)).to.include({ bytes: 0, spans: 0, exports: 0 }); // zeroed by the previous call
    });
    it('answers GET /info and counts any other path, without counting it as export', async () => {
      const info = await request(r.url, { method: 'GET', path: '/info' });
      expect(JSON.parse(info.text).endpoints).to.include('/v0.4/traces');
      const other = await request(r.url, { path: '/v0.7/config', body: '{}' });
      expect(other.status).to.equal(404);
      const c = takeCounters(r);
      expect(c.otherPaths).to.deep.equal({ 'POST /v0.7/config': 1 });
      expect(c.bytes).to.equal(0);
    });
    it('still counts the bytes of a body it cannot decode, and says so', async () => {
      await request(r.url, { path: '/v0.4/traces', body: Buffer.from([0x91, 0xc1]) });
      expect(takeCounters(r)).to.include({ bytes: 2, decodeErrors: 1, exports: 1 });
    });
  });

  describe('APM-server-shaped receiver', () => {
    let r;
    before(async () => (r = await startApmServerReceiver()));
    after(() => {
      r.server.closeAllConnections();
      r.server.close();
    });
    const ndjson =
      [
        '{"metadata":{"service":{"name":"bench"}}}',
        '{"transaction":{"id":"a","name":"GET /users/:id"}}',
        '{"span":{"id":"b","name":"GET 127.0.0.1"}}',
        '{"error":{"id":"c"}}',
        '{"transaction":{"id":"d","name":"GET /error"}}',
      ].join('\n') + '\n';

    it('answers GET / with a server version', async () => {
      const res = await request(r.url, { method: 'GET', path: '/' });
      expect(JSON.parse(res.text).version).to.match(/^8\./);
    });
    for (const [encoding, compress] of [
      ['gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
      ['', (b) => b],
    ]) {
      it(`counts wire bytes, decompressed bytes and transaction + span events (${encoding || 'identity'})`, async () => {
        const body = compress(Buffer.from(ndjson));
        const res = await request(r.url, {
          path: '/intake/v2/events',
          headers: { 'content-type': 'application/x-ndjson', ...(encoding ? { 'content-encoding': encoding } : {}) },
          body,
        });
        expect(res.status).to.equal(202);
        const c = takeCounters(r);
        expect(c).to.include({ bytes: body.length, decodedBytes: Buffer.byteLength(ndjson), spans: 3, exports: 1, decodeErrors: 0 });
        expect(c.events).to.deep.equal({ metadata: 1, transaction: 2, span: 1, error: 1 });
      });
    }
    it('counts a last line without a trailing newline', async () => {
      await request(r.url, { path: '/intake/v2/events', body: '{"metadata":{}}\n{"span":{"id":"x"}}' });
      expect(takeCounters(r)).to.include({ spans: 1 });
    });
  });
});
