/**
 * What express and the app must keep observing under the express instrumentation (our compat suite
 * found upstream's instrumentation-express breaking both; ours, in ./express/, is built not to).
 *
 * 1. `next` identity. Upstream hands each layer its own wrapper of `next` while the router keeps
 *    `req.next` pointing at its own (express 4 lib/router/index.js `req.next = next`, router 2 index.js
 *    likewise), so express's helpers that call `req.next` (res.format's 406 path, res.sendFile errors)
 *    bypassed its bookkeeping. Ours wraps neither the app's functions nor `next`: it patches the Layer
 *    prototype's dispatch once, so `next === req.next` and each function's `length` are express's own
 *    (test/integration/express-semantics.test.ts).
 * 2. Hostile errors. Recording a layer's error reads `error.message` (and the SDK's recordException
 *    reads name, message, stack, code); a throwing getter or proxy trap must not replace the app's error
 *    with the getter's. `safeAsErrorAndMessage` returns exactly upstream's `asErrorAndMessage` result
 *    for ordinary values (so mode `all` records what upstream records) and a plain, safely read copy
 *    for hostile ones (@opentelemetry/instrumentation-express build/src/utils.js `asErrorAndMessage`).
 */
import { exceptionMessageOf, exceptionTypeOf, safeString } from '../errors/record-exception';

/** Whether upstream's own reads (and the SDK's recordException) of this value would all succeed. */
function readsSafely(error: Error): boolean {
  try {
    void error.message;
    void error.name;
    void error.stack;
    void (error as { code?: unknown }).code;
    return true;
  } catch {
    return false;
  }
}

function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false; // a proxy whose getPrototypeOf trap throws
  }
}

/** upstream's `asErrorAndMessage`, for values whose reads throw too. */
export function safeAsErrorAndMessage(error: unknown): [Error | string, string] {
  if (isError(error)) {
    if (readsSafely(error)) return [error, error.message];
    const message = exceptionMessageOf(error);
    return [{ name: exceptionTypeOf(error), message }, message];
  }
  const text = safeString(error);
  return [text, text];
}
