/**
 * The route of an express request, from the mount paths of the layers it is in (pure helpers).
 *
 * Reproduces @opentelemetry/instrumentation-express 0.70's results exactly (build/src/utils.js
 * `getLayerPath`, `getConstructedRoute`, `getActualMatchedRoute`), because dashboards, sampling rules and
 * metrics group by the `http.route` it produced: nested routers joined, arrays of paths joined with
 * commas, regexp paths as their source text, `app.use` mounts, express 5 `/{*splat}` wildcards
 * dropped, and no route for a 404 that matched only `/` mounts.
 */

/** The path a layer was registered with (`app.use(path, ...)`, `router.route(path)`), as upstream records it. */
export function layerPathOf(registrationArgs: ArrayLike<unknown>): string | undefined {
  const first = registrationArgs[0];
  if (Array.isArray(first)) return first.map((part) => pathSegmentOf(part) || '').join(',');
  return pathSegmentOf(first);
}

function pathSegmentOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof RegExp || typeof value === 'number') return value.toString();
  return undefined;
}

/** Root paths, `/*` and express 5 wildcard segments (`/{*splat}`) add nothing to a route. */
const EXPRESS5_WILDCARD_SEGMENT = /^\/\{[*][^}]*\}$/;
const REPEATED_SLASHES = /\/{2,}/g;

/** The mount paths of the layers the request is in, joined (upstream's `getConstructedRoute`). */
export function constructedRouteOf(paths: readonly string[]): string {
  let joined = '';
  let meaningful = 0;
  let only = '';
  for (const path of paths) {
    if (path === '/' || path === '/*' || EXPRESS5_WILDCARD_SEGMENT.test(path)) continue;
    meaningful++;
    only = path;
    joined += path;
  }
  if (meaningful === 1 && only === '*') return '*';
  return joined.replace(REPEATED_SLASHES, '/');
}

/** The `http.route` for those paths, or undefined when no route matched (upstream's `getActualMatchedRoute`). */
export function matchedRouteOf(paths: readonly string[], constructedRoute: string, originalUrl: string): string | undefined {
  if (paths.length === 0) return undefined;
  // Only root mounts: a request for `/` itself, else a path nothing routed (a 404).
  if (paths.every((path) => path === '/')) return originalUrl === '/' ? '/' : undefined;
  if (constructedRoute === '*') return constructedRoute;
  // RegExp routes and arrays of routes are reported as constructed.
  if (
    constructedRoute.includes('/') &&
    (constructedRoute.includes(',') || constructedRoute.includes('\\') || constructedRoute.includes('*') || constructedRoute.includes('['))
  ) {
    return constructedRoute;
  }
  const route = constructedRoute.startsWith('/') ? constructedRoute : `/${constructedRoute}`;
  const matched = route.length > 0 && (originalUrl === route || originalUrl.startsWith(route) || route.includes(':') || route.includes('*'));
  return matched ? route : undefined;
}
