/**
 * request-attributes.ts takes a fast path for common requests; whenever it does, its answer must be
 * upstream's getIncomingRequestAttributes' (instrumentation-http 0.222.0, stable semconv). Thousands of
 * generated request targets, Host headers and methods (seeded, so a failure reproduces) go through both.
 */
import { diag } from '@opentelemetry/api';
import { expect } from 'chai';
import type { IncomingMessage } from 'http';
import { incomingRequestAttributes } from '../../../src/instrumentations/http-server/request-attributes';

const upstream = require('@opentelemetry/instrumentation-http/build/src/utils') as {
  getIncomingRequestAttributes(request: IncomingMessage, options: object, logger: unknown): Record<string, unknown>;
};

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const TARGET_PIECES = [
  '/',
  '/',
  '/',
  'a',
  'users',
  '42',
  '.',
  '..',
  '%2e',
  '%2E',
  '%20',
  '%C3%A9',
  '%',
  '?',
  '?',
  '&',
  '=',
  '=',
  '#',
  '+',
  ':',
  '@',
  '!',
  "'",
  '*',
  '~',
  '|',
  '^',
  '{',
  ' ',
  '\\',
  'sig',
  'X-Amz-Signature',
  'Signature',
  '_',
  '-',
  ';',
  ',',
  '$',
  '(',
  'http:',
  '//',
];
const HOSTS = [
  'localhost:3000',
  'localhost',
  'example.com',
  'EXAMPLE.com:8080',
  '127.0.0.1:80',
  '1.2.3.256',
  '0x7f.1',
  '[::1]:4000',
  '[::1]',
  '[fe80::1%25eth0]:1',
  'a..b:1',
  '-:2',
  'host:',
  'host:99999',
  'bad host',
  'h_o_st:5',
  'xn--nxasmq6b.com',
  '',
];
const METHODS = ['GET', 'POST', 'HEAD', 'QUERY', 'PROPFIND', 'PURGE', 'get', undefined];

function request(target: string, host: string | undefined, method: string | undefined, extraHeaders: Record<string, string> = {}): IncomingMessage {
  const headers: Record<string, string> = { 'user-agent': 'ua/1', ...extraHeaders };
  if (host !== undefined) headers.host = host;
  return { url: target, method, headers, httpVersion: '1.1', socket: { remoteAddress: '::ffff:127.0.0.1', remotePort: 50_000 } } as unknown as IncomingMessage;
}

/** Without the undefined values, which a span drops (Span#setAttribute skips null and undefined). */
const defined = (attributes: Record<string, unknown>) => Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== undefined));
const upstreamOf = (req: IncomingMessage, scheme: 'http' | 'https') =>
  defined(upstream.getIncomingRequestAttributes(req, { component: scheme, enableSyntheticSourceDetection: false }, diag));
const oursOf = (req: IncomingMessage, scheme: 'http' | 'https') => defined(incomingRequestAttributes(req, scheme, diag));

describe('http server span attributes: fast path equals upstream', () => {
  it('on 20,000 generated requests (targets, hosts, methods, both schemes)', () => {
    const random = seededRandom(13);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
    for (let i = 0; i < 20_000; i++) {
      let target = '/';
      const length = Math.floor(random() * 8);
      for (let k = 0; k < length; k++) target += pick(TARGET_PIECES);
      const req = request(target, pick(HOSTS), pick(METHODS));
      const scheme = random() < 0.5 ? 'http' : 'https';
      expect(oursOf(req, scheme), `${scheme} ${req.method} ${target} host=${req.headers.host}`).to.deep.equal(upstreamOf(req, scheme));
    }
  });

  it('common shapes take the fast path and agree (a broken fast path fails here, not only in the slow fallback)', () => {
    const cases = [request('/users/42', 'localhost:3000', 'GET'), request('/ok?a=1&b=two', 'example.com', 'POST'), request('/x', '[::1]:8080', 'PURGE')];
    for (const req of cases) {
      const ours = oursOf(req, 'http');
      expect(ours).to.deep.equal(upstreamOf(req, 'http'));
      expect(ours['url.path']).to.be.a('string');
    }
  });

  it("proxies' headers and a missing Host header go to upstream and agree", () => {
    const cases = [
      request('/a', 'localhost:1', 'GET', { forwarded: 'for=1.2.3.4;host=p.example;proto=https' }),
      request('/a', 'localhost:1', 'GET', { 'x-forwarded-for': '10.0.0.1, 10.0.0.2', 'x-forwarded-host': 'front:9' }),
      request('/a?b=1', undefined, 'GET'),
    ];
    for (const req of cases) expect(oursOf(req, 'https')).to.deep.equal(upstreamOf(req, 'https'));
  });
});
