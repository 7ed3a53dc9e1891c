/**
 * Which instrumentations the agent can load, by short name, and how to construct each one.
 *
 * Approach: http, express and undici (loaded at start, with the agent's own hooks) are required
 * directly from their packages. Any other name is looked up as `@opentelemetry/instrumentation-<name>`,
 * a dependency of @opentelemetry/auto-instrumentations-node, and only that one package is required,
 * when lazy-loader.ts sees the first load of a module it patches. We never require
 * auto-instrumentations-node itself: it constructs its whole catalogue (~480 modules, ~400 ms) even
 * when one instrumentation is wanted. The config layer has already validated the names.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { createRequire } from 'module';
import type { IncomingMessage } from 'http';
import { rememberServerSpan, trackOpenServerSpan } from '../patches/request-spans';
import type { AgentConfig } from '../config/types';
import { compilePathGlobs } from '../sdk/sampling';
import { HttpServerInstrumentation } from './http-server/instrumentation';
import { InstrumentationGroup } from './http-server/instrumentation-group';

/** Requires packages the way auto-instrumentations-node would, so its nested dependencies resolve too. */
function requireFromCatalogue(packageName: string): Record<string, unknown> {
  try {
    return require(packageName);
  } catch {
    // Resolving (not requiring) the catalogue's entry point; its package.json is not in its exports map.
    const catalogueRequire = createRequire(require.resolve('@opentelemetry/auto-instrumentations-node'));
    return catalogueRequire(packageName);
  }
}

function findInstrumentationClass(exports: Record<string, unknown>, packageName: string) {
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === 'function' && /Instrumentation$/.test(name)) {
      return value as new (config?: object) => Instrumentation;
    }
  }
  throw new Error(`${packageName} exports no *Instrumentation class`);
}

/** The request's path, without building a URL object (the hook runs for every request). */
function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/**
 * The logger instrumentations do two things: put trace_id/span_id/trace_flags into each record
 * (log correlation, which we want) and send each record to the global OpenTelemetry LoggerProvider
 * ("log sending"). The agent exports traces only, so that provider is a no-op and sending would be
 * pure cost (winston's even loads @opentelemetry/winston-transport and adds a transport).
 * `disableLogSending` is each one's documented option (instrumentation-pino/-winston/-bunyan types.ts).
 */
const LOG_CORRELATION_ONLY = new Set(['pino', 'winston', 'bunyan']);

type CatalogConfig = Pick<
  AgentConfig,
  | 'ignorePaths'
  | 'expressMiddlewareSpans'
  | 'captureServerRequestHeaders'
  | 'captureServerResponseHeaders'
  | 'captureClientRequestHeaders'
  | 'captureClientResponseHeaders'
>;

export function createInstrumentation(shortName: string, config: CatalogConfig): Instrumentation {
  switch (shortName) {
    case 'http': {
      // SERVER spans: ours (http-server/instrumentation.ts, the hot path); CLIENT spans: upstream's.
      const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
      const isIgnoredPath = compilePathGlobs(config.ignorePaths);
      const server = new HttpServerInstrumentation({
        // TRACING_IGNORE_PATHS: such a request runs under suppressTracing: no span, nothing exported.
        ...(isIgnoredPath !== undefined && { ignoreIncomingRequestHook: (request: IncomingMessage) => isIgnoredPath(pathOf(request.url)) }),
        // OTEL_INSTRUMENTATION_HTTP_SERVER_CAPTURE_*_HEADERS: recorded as http.{request,response}.header.<name>.
        headersToSpanAttributes: { requestHeaders: config.captureServerRequestHeaders, responseHeaders: config.captureServerResponseHeaders },
        // The error paths look spans up by request; the exit path ends the ones still open.
        requestHook: (span, request) => rememberServerSpan(request, span),
        responseHook: trackOpenServerSpan,
      });
      const client = new HttpInstrumentation({
        disableIncomingRequestInstrumentation: true,
        headersToSpanAttributes: { client: { requestHeaders: config.captureClientRequestHeaders, responseHeaders: config.captureClientResponseHeaders } },
      });
      return new InstrumentationGroup([server, client]);
    }
    case 'express': {
      // Our own (src/instrumentations/express/): upstream's wraps every layer's handle and next per
      // request; express-differential.test.ts checks that mode `all` gives upstream's spans.
      const { AgentExpressInstrumentation } = require('./express') as typeof import('./express');
      return new AgentExpressInstrumentation({ middlewareSpans: config.expressMiddlewareSpans });
    }
    case 'undici': {
      // undici and Node's global fetch publish on diagnostics_channel; the instrumentation subscribes there.
      const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
      return new UndiciInstrumentation({
        headersToSpanAttributes: { requestHeaders: config.captureClientRequestHeaders, responseHeaders: config.captureClientResponseHeaders },
      });
    }
    default: {
      const packageName = `@opentelemetry/instrumentation-${shortName}`;
      const InstrumentationClass = findInstrumentationClass(requireFromCatalogue(packageName), packageName);
      return new InstrumentationClass(LOG_CORRELATION_ONLY.has(shortName) ? { disableLogSending: true } : undefined);
    }
  }
}

const BUILTIN_MODULES = new Set(require('module').builtinModules as string[]);

/**
 * The module specifiers an ESM app may import that these instrumentations patch (import-in-the-middle's
 * include list), plus `moreModules`: the targets of instrumentations not loaded yet (lazy-loader.ts).
 */
export function esmModuleNames(instrumentations: Instrumentation[], moreModules: readonly string[] = []): string[] {
  const names = new Set<string>();
  const add = (name: string) => {
    names.add(name);
    if (BUILTIN_MODULES.has(name)) names.add(`node:${name}`);
  };
  for (const instrumentation of instrumentations) {
    const definitions = (instrumentation as { getModuleDefinitions?: () => { name: string }[] }).getModuleDefinitions?.() ?? [];
    for (const { name } of definitions) add(name);
  }
  moreModules.forEach(add);
  return [...names];
}
