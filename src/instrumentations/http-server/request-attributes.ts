/**
 * The attributes of a SERVER span, exactly as upstream's instrumentation-http 0.222.0 computes them
 * with stable HTTP semconv, for less per request.
 *
 * Approach: the common request (a path-absolute target of plain characters, a Host header, no
 * Forwarded / X-Forwarded-* headers) takes a fast path: no URL object, no URLSearchParams, the Host
 * header parsed once per distinct value and cached. Every other request goes through upstream's own
 * `getIncomingRequestAttributes` (build/src/utils.js), so the rare shapes (absolute-form targets,
 * dot segments, characters URL would percent-encode, proxies' headers, invalid hosts, redacted query
 * parameters) stay upstream's by construction. The fast path is only allowed where its answer is
 * provably the same; test/integration/http-server-differential.test.ts holds both to the same corpus.
 *
 * Limitations: upstream's util module is a deep import (the package has no exports map); the version
 * is pinned (0.222.0), and the differential test fails if its output changes.
 */
import type { Attributes, DiagLogger } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'http';

type Scheme = 'http' | 'https';
type HeaderCaptureFactory = (type: 'request' | 'response', headers: string[]) => (getHeader: (name: string) => unknown) => Attributes;

interface UpstreamUtils {
  getIncomingRequestAttributes(
    request: IncomingMessage,
    options: { component: Scheme; enableSyntheticSourceDetection: boolean; redactedQueryParams?: string[] },
    logger: DiagLogger,
  ): Attributes;
  headerCapture: HeaderCaptureFactory;
}

const upstreamUtils = require('@opentelemetry/instrumentation-http/build/src/utils') as UpstreamUtils;

/** rfc9110 methods, PATCH and QUERY (upstream's KNOWN_METHODS); anything else is `_OTHER`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/**
 * A path WHATWG URL leaves as it is: starts with one '/', then only characters outside the path
 * percent-encode set, no backslash (read as '/'), no '#', and no dot segment ('.', '..', '%2e').
 */
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e)/i;
/**
 * A query URLSearchParams serializes back unchanged: name=value pairs of bytes it never escapes.
 * A pair without '=' or an empty pair would be rewritten (`a` -> `a=`), so those take the slow path.
 */
const PLAIN_QUERY = /^[A-Za-z0-9\-._*]*=[A-Za-z0-9\-._*]*(?:&[A-Za-z0-9\-._*]*=[A-Za-z0-9\-._*]*)*$/;
/** Upstream's DEFAULT_QUERY_STRINGS_TO_REDACT (internal-types.js), as parameter names. */
const REDACTED_QUERY_NAME = /(?:^|&)(?:sig|Signature|AWSAccessKeyId|X-Goog-Signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=/;
/** A host name, IPv4 address or bracketed IPv6 address, with an optional port. */
const PLAIN_HOST = /^(?:[A-Za-z0-9\-.]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]+))?$/;

interface ParsedHost {
  /** Whether `new URL('/', scheme://host)` accepts it (upstream then records url.path). */
  valid: boolean;
  address: string;
  port: number;
}

const MAX_CACHED_HOSTS = 256;
const parsedHosts: Record<Scheme, Map<string, ParsedHost | null>> = { http: new Map(), https: new Map() };

/** upstream's parseHostHeader for the PLAIN_HOST shapes, or null for any other shape. */
function parseHost(host: string, scheme: Scheme): ParsedHost | null {
  const cache = parsedHosts[scheme];
  let parsed = cache.get(host);
  if (parsed !== undefined) return parsed;
  parsed = null;
  const match = PLAIN_HOST.exec(host);
  if (match !== null) {
    let valid = true;
    try {
      new URL('/', `${scheme}://${host}`);
    } catch {
      valid = false;
    }
    const port = match[1];
    const address = port === undefined ? host : host.slice(0, host.length - port.length - 1);
    // A bracketed IPv6 host without a port: upstream keeps the brackets and uses the scheme's port.
    parsed = { valid, address, port: port === undefined ? (scheme === 'https' ? 443 : 80) : Number(port) };
  }
  if (cache.size >= MAX_CACHED_HOSTS) cache.clear();
  cache.set(host, parsed);
  return parsed;
}

/** The attributes known when the request arrives (upstream's getIncomingRequestAttributes). */
export function incomingRequestAttributes(request: IncomingMessage, scheme: Scheme, logger: DiagLogger): Attributes {
  return (
    fastIncomingRequestAttributes(request, scheme) ??
    upstreamUtils.getIncomingRequestAttributes(request, { component: scheme, enableSyntheticSourceDetection: false }, logger)
  );
}

function fastIncomingRequestAttributes(request: IncomingMessage, scheme: Scheme): Attributes | undefined {
  const headers = request.headers;
  const host = headers.host;
  if (typeof host !== 'string' || headers.forwarded !== undefined || headers['x-forwarded-host'] !== undefined || headers['x-forwarded-for'] !== undefined) {
    return undefined;
  }
  const parsedHost = parseHost(host, scheme);
  if (parsedHost === null || !parsedHost.valid) return undefined;
  const target = request.url;
  if (typeof target !== 'string') return undefined;
  const queryStart = target.indexOf('?');
  const path = queryStart < 0 ? target : target.slice(0, queryStart);
  if (!PLAIN_PATH.test(path) || DOT_SEGMENT.test(path)) return undefined;
  const query = queryStart < 0 ? '' : target.slice(queryStart + 1);
  if (query !== '' && (!PLAIN_QUERY.test(query) || REDACTED_QUERY_NAME.test(query))) return undefined;

  const method = request.method;
  const knownMethod = method !== undefined && KNOWN_METHODS.has(method);
  if (!knownMethod && method !== undefined && KNOWN_METHODS.has(method.toUpperCase())) return undefined; // `get`: upstream upper-cases it
  const socket = request.socket;
  const attributes: Attributes = {
    'http.request.method': knownMethod ? method : method === undefined ? 'GET' : '_OTHER',
    'url.scheme': scheme,
    'server.address': parsedHost.address,
  };
  const remoteAddress = socket?.remoteAddress;
  if (remoteAddress !== undefined) attributes['network.peer.address'] = remoteAddress;
  const remotePort = socket?.remotePort;
  if (remotePort !== undefined) attributes['network.peer.port'] = remotePort;
  attributes['network.protocol.version'] = request.httpVersion;
  const userAgent = headers['user-agent'];
  if (userAgent !== undefined) attributes['user_agent.original'] = userAgent;
  attributes['url.path'] = path;
  if (query !== '') attributes['url.query'] = query;
  if (remoteAddress) attributes['client.address'] = remoteAddress;
  attributes['server.port'] = parsedHost.port;
  if (method !== undefined && !knownMethod) attributes['http.request.method_original'] = method;
  return attributes;
}

type HeaderAttributes = (getHeader: (name: string) => unknown) => Attributes;

/** OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_*_HEADERS, named and shaped as upstream does. */
export function serverHeaderCapture(requestHeaders: string[], responseHeaders: string[]): { request?: HeaderAttributes; response?: HeaderAttributes } {
  return {
    request: requestHeaders.length > 0 ? upstreamUtils.headerCapture('request', requestHeaders) : undefined,
    response: responseHeaders.length > 0 ? upstreamUtils.headerCapture('response', responseHeaders) : undefined,
  };
}

/** Reads a response header for capture (ServerResponse#getHeader, as upstream). */
export function responseHeaderReader(response: ServerResponse): (name: string) => unknown {
  return (name) => response.getHeader(name);
}
