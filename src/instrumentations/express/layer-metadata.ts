/**
 * The name and attributes of an express layer's span, as @opentelemetry/instrumentation-express 0.70
 * names them (build/src/utils.js `getLayerMetadata`, `getRouterPath`): `router - <path>`,
 * `request handler - <route>`, `middleware - <function name>`, with `express.name` and `express.type`.
 */
import type { Attributes } from '@opentelemetry/api';

export type ExpressLayerType = 'router' | 'middleware' | 'request_handler';

/** The parts of an express 4 / router 2 Layer read here (express/lib/router/layer.js, router/lib/layer.js). */
export interface ExpressLayer {
  name?: string;
  path?: string;
  handle?: { stack?: ExpressLayer[] } & object;
  route?: { path?: string };
}

export interface LayerMetadata {
  name: string;
  type: ExpressLayerType;
  attributes: Attributes;
}

/** The first route path found down the first layers of a router's stack (upstream's `getRouterPath`). */
function routerPathOf(path: string, layer: ExpressLayer): string {
  const first = layer.handle?.stack?.[0];
  if (first?.route?.path) return `${path}${first.route.path}`;
  if (first?.handle?.stack) return routerPathOf(path, first);
  return path;
}

/** express 4 names a route's layer `bound dispatch` (route.dispatch.bind), router 2 `handle`. */
export function layerTypeOf(layer: ExpressLayer): ExpressLayerType {
  if (layer.name === 'router') return 'router';
  if (layer.name === 'bound dispatch' || layer.name === 'handle') return 'request_handler';
  return 'middleware';
}

export function layerMetadataOf(type: ExpressLayerType, constructedRoute: string, layer: ExpressLayer, layerPath: string | undefined): LayerMetadata {
  switch (type) {
    case 'router': {
      const path = routerPathOf('', layer) || layerPath || constructedRoute || '/';
      return { name: `router - ${path}`, type, attributes: { 'express.name': path, 'express.type': type } };
    }
    case 'request_handler':
      return {
        name: `request handler${layer.path ? ` - ${constructedRoute || layerPath}` : ''}`,
        type,
        attributes: { 'express.name': (constructedRoute || layerPath) ?? 'request handler', 'express.type': type },
      };
    default:
      return { name: `middleware - ${layer.name}`, type, attributes: { 'express.name': layer.name, 'express.type': type } };
  }
}
