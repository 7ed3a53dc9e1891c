/**
 * User patterns (TRACING_PII_PATTERNS): JavaScript regex sources whose matches become `***`.
 *
 * They run in the export worker on every string of every span, so a pattern must not be able to hang
 * it. V8's backtracking engine is exponential on nested quantifiers (`(a+)+`), and even a plain `\w+x`
 * is quadratic (64 KiB of "a": seconds). So user patterns run in re2js, a linear-time engine (RE2's
 * automata, in JavaScript): the cost of a pattern on a value grows with the value's length whatever
 * the pattern is, which is a guarantee, where the in-house analyser this replaced was a heuristic.
 *
 * Measured (Node 20, this 2-core machine, under load; per pattern per value): a 23-character
 * attribute 1-3 µs (V8 about the same), 1.5 KB without a match ~0.5-10 µs, 1.5 KB with matches
 * ~150-700 µs (V8 ~20 µs), 64 KiB of "a" 2 µs-4 ms (V8: up to minutes for `\w+\w+x`). Compiling a
 * pattern takes ~1 ms, and loading re2js ~150 ms, once, in the worker, only when patterns are set.
 *
 * Accepted: what JavaScript and RE2 both accept (translated with RE2JS.translateRegExp, so `(?<name>)`,
 * `\uXXXX` and `\/` work). Rejected with one stderr line each and skipped: an invalid JavaScript regex,
 * and what RE2 cannot run in linear time: backreferences, lookahead and lookbehind, repeat counts
 * above 1000. Differences from JavaScript that remain: `\s` and `\b` are ASCII-only, `.` also matches
 * `\r`, `\u2028` and `\u2029`. Matching is case-sensitive (no flags); patterns are never evaluated as code.
 */
import type { RE2JS } from 're2js';
import { quoteForLine } from '../one-line-quote';

export interface UserPattern {
  readonly source: string;
  readonly regex: RE2JS;
}

export interface CompiledUserPatterns {
  patterns: UserPattern[];
  /** One stderr-ready line per rejected pattern. */
  problems: string[];
}

const USER_PATTERN_MASK = '***';
const MAX_SHOWN_SOURCE_CHARS = 200;

type Re2js = typeof import('re2js');

/**
 * `_maxScanLength` is no longer used (a linear engine needs no per-pattern scan limit; the caller
 * already cuts values at MAX_MASKED_LENGTH); kept until compile-policy.ts stops passing it.
 */
export function compileUserPatterns(sources: readonly string[]): CompiledUserPatterns {
  const patterns: UserPattern[] = [];
  const problems: string[] = [];
  // Loaded only when there is a pattern: the diagnostic-line masker compiles a policy without any.
  let re2js: Re2js | undefined;
  sources.forEach((source, index) => {
    if (typeof source !== 'string' || source.trim() === '') return; // blank means unset, as for every variable
    re2js ??= require('re2js') as Re2js;
    const compiled = compileUserPattern(re2js, source);
    if ('rejected' in compiled)
      problems.push(
        `otel-agent: TRACING_PII_PATTERNS pattern #${index + 1} ${quoteForLine(source, MAX_SHOWN_SOURCE_CHARS, true)} ${compiled.rejected}; skipped`,
      );
    else patterns.push({ source, regex: compiled.regex });
  });
  return { patterns, problems };
}

export function applyUserPatterns(text: string, patterns: readonly UserPattern[]): string {
  for (const { regex } of patterns) {
    // find() first: most values hold no match, and finding is several times cheaper than replacing.
    if (regex.matcher(text).find()) text = regex.matcher(text).replaceAll(maskNonEmptyMatch);
  }
  return text;
}

/** A pattern that can match the empty string (`x*`) would otherwise insert a mask between every two characters. */
function maskNonEmptyMatch(match: string): string {
  return match.length === 0 ? match : USER_PATTERN_MASK;
}

export function compileUserPattern(re2js: Re2js, source: string): { rejected: string } | { regex: RE2JS } {
  try {
    new RegExp(source);
  } catch {
    return { rejected: 'invalid regex' };
  }
  try {
    return { regex: re2js.RE2JS.compile(re2js.RE2JS.translateRegExp(source)) };
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : 'not supported';
    return {
      rejected: `cannot run in linear time (${quoteForLine(reason, MAX_SHOWN_SOURCE_CHARS, true).slice(1, -1)}: backreferences, lookaround and repeats above 1000 are not supported)`,
    };
  }
}
