/**
 * TRACING_RESPONSE_HEADER: a `Server-Timing: traceparent;desc="00-…", trace;desc=00-…` header (and
 * Server-Timing in Access-Control-Expose-Headers) on every response that has a trace id.
 *
 * Approach: every framework ends in http.ServerResponse's writeHead, explicitly or implicitly (Node's
 * end() and write() call `this.writeHead` through `_implicitHeader`), so writeHead alone is wrapped.
 * Headers given to writeHead are edited in a copy; otherwise the header is set with setHeader() just
 * before Node stores the header block. The JSON error body rewrite (error-body-trace-id.ts) is a
 * separate patch on the same method; neither depends on the other.
 * Our logic runs in try/catch: on an internal error the original writeHead runs with the app's
 * arguments (reported once). A call Node would reject (headers already sent, an invalid header) gets
 * the app's arguments untouched, so it throws where the app made it, as without the agent.
 *
 * Limitations: Http2ServerResponse (http2 compatibility API) is not covered.
 */
import * as http from 'http';
import type { ServerResponse } from 'http';
import type { AgentConfig } from '../config/types';
import { reportInternalError } from '../safe';
import { parseWriteHeadArgs, upsertHeader } from './error-body-trace-id/header-args';
import type { HeadersArg } from './error-body-trace-id/header-args';
import { appendExposedHeader, appendServerTiming, EXPOSE_HEADERS, SERVER_TIMING, serverTimingEntry } from './error-body-trace-id/trace-headers';
import { PrototypeMethods } from './prototype-methods';
import type { AnyMethod } from './prototype-methods';
import { spanOfResponse } from './response-span';
import type { AgentPatch, PatchContext } from './types';

const SITE = 'response-trace-header';

let enabled = false;
let originalWriteHead: AnyMethod;

function writeHeadWithTraceHeader(this: ServerResponse, ...args: [statusCode: number, reason?: unknown, headers?: unknown]): ServerResponse {
  // Rest parameters, forwarded as they came: Node reads the same arguments, with the same count.
  const [statusCode, reason, headers] = args;
  if (!enabled) return Reflect.apply(originalWriteHead, this, args);
  let edited: { reason: string | undefined; headers: HeadersArg | undefined } | undefined;
  try {
    edited = withTraceHeaders(this, reason, headers);
  } catch (err) {
    reportInternalError(`${SITE} writeHead`, err);
    edited = undefined;
  }
  if (edited === undefined) return Reflect.apply(originalWriteHead, this, args);
  return edited.reason !== undefined
    ? originalWriteHead.call(this, statusCode, edited.reason, edited.headers)
    : originalWriteHead.call(this, statusCode, edited.headers);
}

/** The writeHead arguments with the trace headers, or undefined for "call the original with the app's arguments". */
function withTraceHeaders(res: ServerResponse, reason: unknown, headers: unknown): { reason: string | undefined; headers: HeadersArg | undefined } | undefined {
  const args = parseWriteHeadArgs(res, reason, headers);
  if (args === undefined) return undefined;
  const span = spanOfResponse(res);
  if (span === undefined) return undefined;
  const entry = serverTimingEntry(span.spanContext());
  const withTiming = upsertHeader(res, args.headers, SERVER_TIMING, (current) => appendServerTiming(current, entry));
  const withExposed = upsertHeader(res, withTiming, EXPOSE_HEADERS, (current) => appendExposedHeader(current, SERVER_TIMING));
  // Set with setHeader() (no headers argument to edit): the app's arguments go to Node as they were.
  return withExposed === args.headers ? undefined : { reason: args.reason, headers: withExposed };
}

const methods = new PrototypeMethods(() => http.ServerResponse.prototype, { writeHead: writeHeadWithTraceHeader });

export const responseTraceHeaderPatch: AgentPatch = {
  name: 'response-trace-header',

  isEnabled(config: AgentConfig): boolean {
    return config.responseHeader;
  },

  patch(_context: PatchContext): void {
    methods.install((_method, original) => {
      originalWriteHead = original;
    });
    enabled = true;
  },

  unpatch(): void {
    // A wrapper that stays in a chain (another tool wrapped on top of it) passes everything through.
    enabled = false;
    methods.uninstall();
  },
};
