'use strict';
/**
 * Receivers for the peers, shaped like what each one exports to, that read every body and discard it:
 *   - a Datadog agent (dd-trace): PUT/POST /v0.4/traces and /v0.5/traces (msgpack), GET /info;
 *   - an Elastic APM server (elastic-apm-node): POST /intake/v2/events (ndjson, maybe gzip/deflate), GET /.
 * Each counts the bytes of the bodies as received (on the wire: Elastic's are compressed), the bytes
 * after decompression, and the spans in them (Datadog: spans in the msgpack traces; Elastic:
 * transaction + span events), so the bench can show that a peer really exported, and how much.
 * Any other path is answered 404 and counted by path: a background feature left on shows up there.
 */
const http = require('node:http');
const zlib = require('node:zlib');

function newCounters() {
  return { bytes: 0, decodedBytes: 0, spans: 0, exports: 0, decodeErrors: 0, otherPaths: {} };
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

/** Reads a request body, counting its bytes as they arrive; resolves the whole body. */
function readBody(req, counters) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (d) => {
      counters.bytes += d.length;
      chunks.push(d);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.concat(chunks)));
    req.on('aborted', () => resolve(Buffer.concat(chunks)));
  });
}

function countOther(counters, req) {
  const key = `${req.method} ${req.url.split('?')[0]}`;
  counters.otherPaths[key] = (counters.otherPaths[key] || 0) + 1;
}

// ------------------------------------------------------------------ msgpack: count, do not decode
/**
 * Offset just past the msgpack value at `o` (throws RangeError on a truncated buffer). Only what a
 * span counter needs: lengths and skipping, never building values.
 */
function skip(b, o) {
  const t = b[o];
  if (t === undefined) throw new RangeError('truncated msgpack');
  if (t <= 0x7f || t >= 0xe0) return o + 1; // fixint
  if (t >= 0x80 && t <= 0x8f) return skipN(b, o + 1, (t & 0x0f) * 2); // fixmap
  if (t >= 0x90 && t <= 0x9f) return skipN(b, o + 1, t & 0x0f); // fixarray
  if (t >= 0xa0 && t <= 0xbf) return o + 1 + (t & 0x1f); // fixstr
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return o + 1; // nil, false, true
    case 0xc4:
    case 0xd9:
      return o + 2 + b[o + 1]; // bin8, str8
    case 0xc5:
    case 0xda:
      return o + 3 + b.readUInt16BE(o + 1); // bin16, str16
    case 0xc6:
    case 0xdb:
      return o + 5 + b.readUInt32BE(o + 1); // bin32, str32
    case 0xc7:
      return o + 3 + b[o + 1]; // ext8
    case 0xc8:
      return o + 4 + b.readUInt16BE(o + 1); // ext16
    case 0xc9:
      return o + 6 + b.readUInt32BE(o + 1); // ext32
    case 0xca:
      return o + 5; // float32
    case 0xcb:
      return o + 9; // float64
    case 0xcc:
    case 0xd0:
      return o + 2;
    case 0xcd:
    case 0xd1:
      return o + 3;
    case 0xce:
    case 0xd2:
      return o + 5;
    case 0xcf:
    case 0xd3:
      return o + 9;
    case 0xd4:
      return o + 3; // fixext1
    case 0xd5:
      return o + 4;
    case 0xd6:
      return o + 6;
    case 0xd7:
      return o + 10;
    case 0xd8:
      return o + 18;
    case 0xdc:
      return skipN(b, o + 3, b.readUInt16BE(o + 1)); // array16
    case 0xdd:
      return skipN(b, o + 5, b.readUInt32BE(o + 1)); // array32
    case 0xde:
      return skipN(b, o + 3, b.readUInt16BE(o + 1) * 2); // map16
    case 0xdf:
      return skipN(b, o + 5, b.readUInt32BE(o + 1) * 2); // map32
    default:
      throw new RangeError(`bad msgpack type 0x${t.toString(16)}`);
  }
}
function skipN(b, o, n) {
  for (let i = 0; i < n; i++) o = skip(b, o);
  return o;
}
/** [length, offset of the first element] of the msgpack array at `o`. */
function arrayHeader(b, o) {
  const t = b[o];
  if (t >= 0x90 && t <= 0x9f) return [t & 0x0f, o + 1];
  if (t === 0xdc) return [b.readUInt16BE(o + 1), o + 3];
  if (t === 0xdd) return [b.readUInt32BE(o + 1), o + 5];
  throw new RangeError(`expected a msgpack array, got 0x${(t ?? 0).toString(16)}`);
}
/** Spans in a Datadog trace payload: v0.4 is [[span, ...], ...]; v0.5 is [strings, [[span, ...], ...]]. */
function countDatadogSpans(body, version) {
  let o = 0;
  if (version === '0.5') {
    const [n, first] = arrayHeader(body, 0);
    if (n !== 2) throw new RangeError('v0.5 payload is not [strings, traces]');
    o = skip(body, first);
  }
  const [traces, start] = arrayHeader(body, o);
  let spans = 0;
  o = start;
  for (let i = 0; i < traces; i++) {
    const [n, first] = arrayHeader(body, o);
    spans += n;
    o = skipN(body, first, n);
  }
  return spans;
}

// ------------------------------------------------------------------ Datadog agent
async function startDatadogAgentReceiver() {
  const counters = newCounters();
  const server = http.createServer(async (req, res) => {
    const m = /^\/v0\.([45])\/traces$/.exec(req.url.split('?')[0]);
    if (m && (req.method === 'PUT' || req.method === 'POST')) {
      const body = await readBody(req, counters);
      counters.exports++;
      counters.decodedBytes += body.length;
      try {
        counters.spans += countDatadogSpans(body, `0.${m[1]}`);
      } catch {
        counters.decodeErrors++;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"rate_by_service":{}}');
    }
    if (req.method === 'GET' && req.url === '/info') {
      // What dd-trace reads from a real agent's /info; no client-side stats, no p0 dropping.
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({ version: '7.60.0', endpoints: ['/v0.4/traces', '/v0.5/traces', '/info'], client_drop_p0s: false, span_meta_structs: false }),
      );
    }
    countOther(counters, req);
    req.resume();
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 30_000;
  return { kind: 'datadog', url: await listen(server), server, counters };
}

// ------------------------------------------------------------------ Elastic APM server
const APM_EVENT = /^\{"(transaction|span|error|metricset|metadata)"/;
async function startApmServerReceiver() {
  const counters = newCounters();
  counters.events = {};
  const server = http.createServer((req, res) => {
    const url = req.url.split('?')[0];
    if (req.method === 'POST' && url === '/intake/v2/events') {
      // Elastic streams one long request (up to ELASTIC_APM_API_REQUEST_TIME): count as it arrives.
      const encoding = String(req.headers['content-encoding'] || '').toLowerCase();
      const decoder = encoding === 'gzip' ? zlib.createGunzip() : encoding === 'deflate' ? zlib.createInflate() : undefined;
      let tail = '';
      const onText = (chunk) => {
        counters.decodedBytes += chunk.length;
        const lines = (tail + chunk.toString('utf8')).split('\n');
        tail = lines.pop();
        for (const line of lines) countApmLine(line);
      };
      const countApmLine = (line) => {
        const kind = APM_EVENT.exec(line);
        if (!kind) return;
        counters.events[kind[1]] = (counters.events[kind[1]] || 0) + 1;
        if (kind[1] === 'transaction' || kind[1] === 'span') counters.spans++;
      };
      req.on('data', (d) => (counters.bytes += d.length));
      if (decoder) {
        decoder.on('data', onText);
        decoder.on('error', () => counters.decodeErrors++);
        req.pipe(decoder);
      } else req.on('data', onText);
      const done = () => {
        if (tail) countApmLine(tail);
        tail = '';
        counters.exports++;
        if (!res.headersSent) res.writeHead(202).end();
      };
      if (decoder) decoder.on('end', done);
      else req.on('end', done);
      req.on('error', () => {});
      return;
    }
    if (req.method === 'GET' && url === '/') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ build_date: '2024-09-01T00:00:00Z', build_sha: 'bench', publish_ready: true, version: '8.15.0' }));
    }
    countOther(counters, req);
    req.resume();
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 30_000;
  server.requestTimeout = 0; // the intake request is a long stream
  return { kind: 'apm', url: await listen(server), server, counters };
}

/** Counters since the previous call, then zeroed. */
function takeCounters(receiver) {
  const c = receiver.counters;
  const out = { ...c, otherPaths: { ...c.otherPaths }, ...(c.events ? { events: { ...c.events } } : {}) };
  Object.assign(c, newCounters(), c.events ? { events: {} } : {});
  return out;
}

module.exports = { startDatadogAgentReceiver, startApmServerReceiver, takeCounters, countDatadogSpans };
