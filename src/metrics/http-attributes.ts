/**
 * The low-cardinality attribute values of the semantic conventions' HTTP metrics
 * (https://opentelemetry.io/docs/specs/semconv/http/http-metrics/). Raw paths never become attributes:
 * a request without a route has no http.route at all.
 */
const KNOWN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE', 'QUERY']);

/** A known method as is; anything else `_OTHER`, so a client cannot mint series with made-up methods. */
export function metricMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** error.type of a failed client request: Node's error code (ECONNREFUSED), else the error's class name. */
export function clientErrorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)) return code;
    if (typeof name === 'string' && /^[A-Za-z0-9_.$]{1,64}$/.test(name)) return name;
  }
  return '_OTHER';
}
