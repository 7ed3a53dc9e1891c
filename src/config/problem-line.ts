/**
 * One misconfiguration, and how it is printed: exactly one stderr line,
 * `otel-agent: <VARIABLE>="<value>" <what is wrong>; <what the agent does instead>`.
 */

import { quoteForLine } from '../one-line-quote';

export interface Problem {
  variable: string;
  /** The value as it may be shown: the caller has already redacted secrets. */
  shownValue: string;
  whatIsWrong: string;
  /**
   * What the agent does instead. Omitted when the whole value was rejected: the loader then fills in
   * "using <final value>" once the option is resolved, because only then is the replacement known.
   */
  instead?: string;
}

/** Long values (a pasted certificate, a JSON blob) would drown the one-line message. */
const MAX_SHOWN_CHARS = 200;

/** JSON-style quoting: quotes, newlines and other control characters cannot break the one-line format. */
export function quoteValue(value: string): string {
  return quoteForLine(value, MAX_SHOWN_CHARS);
}

export function formatProblemLine(problem: Problem & { instead: string }): string {
  return `otel-agent: ${problem.variable}=${quoteValue(problem.shownValue)} ${problem.whatIsWrong}; ${problem.instead}`;
}
