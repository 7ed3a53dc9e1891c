/**
 * The fields the agent's hooks keep on a request or response after the app's framework has taken it
 * over, declared (as undefined) when the request arrives, by the http server instrumentation.
 *
 * Why: express gives every request and response a prototype of its own making
 * (`Object.setPrototypeOf(req, app.request)`) before any middleware runs, and from then on each has a
 * hidden class of its own. On Node 20 (V8 11.3) a property added to such an object makes V8 copy its
 * hidden class and descriptors, per request: measured on an express app, two symbol properties set in
 * a middleware added 3.0 KiB of garbage per request, the same two declared before express took over
 * 0.5 KiB (Node 24: ~20 bytes either way). The express pipeline and the error-body patch each set one
 * late, on every request. A field declared here is only written later, in place.
 * Symbol keys, as before: not in `Object.keys`, `for...in` or `JSON.stringify` of the request.
 * Without the http server instrumentation nothing is declared and the fields are added when first
 * set, as before: slower, the same behaviour.
 */
import type { IncomingMessage, ServerResponse } from 'http';

/** The express request's pipeline (instrumentations/express/request-pipeline.ts), on the request and, while layer spans are open, the response. */
export const EXPRESS_PIPELINE = Symbol('otel-agent.expressPipeline');
/** The error-body patch's state of a response (patches/error-body-trace-id.ts). */
export const ERROR_BODY_STATE = Symbol('otel-agent.errorBodyTraceId');

type WithFields = { [EXPRESS_PIPELINE]?: unknown; [ERROR_BODY_STATE]?: unknown };

/** Called once per request, before the app's listeners see it. */
export function declareRequestFields(request: IncomingMessage, response: ServerResponse): void {
  (request as WithFields)[EXPRESS_PIPELINE] = undefined;
  (response as WithFields)[EXPRESS_PIPELINE] = undefined;
  (response as WithFields)[ERROR_BODY_STATE] = undefined;
}
