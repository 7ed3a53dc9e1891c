/**
 * One misconfiguration, and how it is printed: exactly one stderr line,
 * `otel-agent: <VARIABLE>="<value>" <what is wrong>; <what the agent does instead>`.
 */

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

/**
 * JSON-style quoting so that quotes, newlines and other control characters cannot break the
 * one-line format. U+2028/U+2029 are escaped too: JSON.stringify leaves them alone, but some
 * log viewers treat them as line breaks.
 */
export function quoteValue(value: string): string {
  const chars = Array.from(value);
  const shortened = chars.length > MAX_SHOWN_CHARS ? chars.slice(0, MAX_SHOWN_CHARS).join('') + '…' : value;
  return JSON.stringify(shortened).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function formatProblemLine(problem: Problem & { instead: string }): string {
  return `otel-agent: ${problem.variable}=${quoteValue(problem.shownValue)} ${problem.whatIsWrong}; ${problem.instead}`;
}
