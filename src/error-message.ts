/**
 * How agent diagnostics quote a caught value: the message only, never a stack trace (one line per
 * problem), and never a throw for a thrown non-Error (`throw 'x'`, `throw null`).
 */

/** `boom` for `new Error('boom')`, `String(value)` for anything else thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `TypeError: boom`: the error's class too, for internal errors where it tells what went wrong. */
export function errorNameAndMessage(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
