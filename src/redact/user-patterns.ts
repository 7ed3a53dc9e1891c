/**
 * User patterns (TRACING_PII_PATTERNS): JavaScript regex sources whose matches become `***`.
 *
 * They run inside every traced process on every span, so a pattern must not be able to hang it.
 * V8's backtracking engine is exponential on nested quantifiers (`(a+)+`), and even a plain
 * `\w+x` is quadratic: 8 KiB of "a" takes ~120 ms, 16 KiB ~750 ms, and `\w+\w+x` is cubic (minutes).
 * Off-the-shelf checkers (safe-regex2) only look at star height, so they accept the last two; a
 * linear engine (re2js) costs ~77 µs per 1.5 KB, the whole masking budget; native re2 needs a build.
 *
 * Approach: every accepted pattern gets a bounded worst-case cost, enforced in three steps.
 * 1. Reject what cannot be bounded: backreferences, a repeated group that contains a variable
 *    quantifier (`(a+)+`, `(.*)*`; `(?:\d{3}-){2}` is fine) or an alternation (`(a|aa)+`, and
 *    conservatively `(?:foo|bar)+` too).
 * 2. Rewrite open-ended repeats to bounded ones: `*` -> `{0,255}`, `+` -> `{1,256}`, `{n,}` -> `{n,n+255}`.
 *    A match can then be at most OPEN_REPEAT_LIMIT characters longer than its fixed part: a longer
 *    run is masked in pieces, and a prefix-anchored pattern such as `secret_\w+` masks the prefix and
 *    the first 255 characters only.
 * 3. Estimate the backtracking steps per start position from the parsed pattern (each repeat
 *    multiplies the ways the rest can be tried, except before a character the repeats cannot match,
 *    as in `[A-Z]+-\d+` or `[a-z]+\d+`), reject above MAX_STEPS_PER_START, and apply the pattern to only the first
 *    STEP_BUDGET / steps characters of a value (at most the 64 KiB that is masked at all).
 *    A fixed-width pattern such as `EMP-\d{6}` covers all 64 KiB; `secret_\w+` the first 7.5 KiB;
 *    `\w+x` the first 3.9 KiB; the costliest accepted ones about 500 characters.
 * Patterns are compiled with the `g` flag only (no `i`, `m`, `u`); they are never evaluated as code.
 */

export interface UserPattern {
  readonly source: string;
  /** The rewritten, bounded pattern. */
  readonly regex: RegExp;
  /** Characters of a value this pattern is applied to (the rest of the value is left as it is). */
  readonly scanLimit: number;
}

export interface CompiledUserPatterns {
  patterns: UserPattern[];
  /** One stderr-ready line per rejected pattern. */
  problems: string[];
}

export const OPEN_REPEAT_LIMIT = 255;
/** Worst case for one start position; above this a pattern is rejected. */
export const MAX_STEPS_PER_START = 4096;
/**
 * Backtracking steps one pattern may spend on one value: 3-6 ns each measured on Node 20 (V8 11.3)
 * here, so ~10 ms per pattern per value at worst.
 */
export const STEP_BUDGET = 2_000_000;

const USER_PATTERN_MASK = '***';
const MAX_SHOWN_SOURCE_CHARS = 200;

export function compileUserPatterns(sources: readonly string[], maxScanLength: number): CompiledUserPatterns {
  const patterns: UserPattern[] = [];
  const problems: string[] = [];
  sources.forEach((source, index) => {
    if (typeof source !== 'string' || source.trim() === '') return; // blank means unset, as for every variable
    const verdict = analyseUserPattern(source);
    if ('rejected' in verdict) {
      problems.push(`otel-agent: TRACING_PII_PATTERNS pattern #${index + 1} ${quoteSource(source)} ${verdict.rejected}; skipped`);
      return;
    }
    patterns.push({
      source,
      regex: new RegExp(verdict.boundedSource, 'g'),
      scanLimit: Math.max(1, Math.min(maxScanLength, Math.floor(STEP_BUDGET / verdict.stepsPerStart))),
    });
  });
  return { patterns, problems };
}

export function applyUserPatterns(text: string, patterns: readonly UserPattern[]): string {
  for (const { regex, scanLimit } of patterns) {
    if (text.length <= scanLimit) {
      text = text.replace(regex, maskNonEmptyMatch);
    } else {
      const head = text.slice(0, scanLimit);
      const maskedHead = head.replace(regex, maskNonEmptyMatch);
      if (maskedHead !== head) text = maskedHead + text.slice(scanLimit);
    }
  }
  return text;
}

/** A pattern that can match the empty string (`x*`) would otherwise insert a mask between every two characters. */
function maskNonEmptyMatch(match: string): string {
  return match.length === 0 ? match : USER_PATTERN_MASK;
}

export type PatternVerdict = { rejected: string } | { boundedSource: string; stepsPerStart: number };

export function analyseUserPattern(source: string): PatternVerdict {
  try {
    new RegExp(source, 'g');
  } catch {
    return { rejected: 'invalid regex' };
  }
  let parsed: ParsedPattern;
  try {
    parsed = new PatternParser(source).parse();
  } catch (error) {
    if (error instanceof UnsafePattern) return { rejected: `may backtrack catastrophically (${error.message})` };
    return { rejected: 'may backtrack catastrophically (could not be analysed)' };
  }
  try {
    const { steps } = costOfBranches(parsed.root, true);
    if (!(steps <= MAX_STEPS_PER_START)) return { rejected: 'may backtrack catastrophically (too many overlapping repeats)' };
    return { boundedSource: parsed.boundedSource, stepsPerStart: Math.max(1, steps) };
  } catch (error) {
    if (error instanceof UnsafePattern) return { rejected: `may backtrack catastrophically (${error.message})` };
    throw error;
  }
}

/** Quotes a pattern for a one-line message: quotes and control characters escaped, backslashes as typed. */
function quoteSource(source: string): string {
  const chars = Array.from(source);
  const shown = chars.length > MAX_SHOWN_SOURCE_CHARS ? chars.slice(0, MAX_SHOWN_SOURCE_CHARS).join('') + '…' : source;
  const escaped = shown.replace(/["\u0000-\u001f\u007f\u2028\u2029]/g, (char) =>
    char === '"' ? '\\"' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${escaped}"`;
}

// ---- Parsing: just enough of JavaScript's (Annex B, non-unicode) regex syntax to bound its cost ----

class UnsafePattern extends Error {}

type CharTest = (code: number) => boolean;

type Atom =
  | { kind: 'char'; code: number }
  | { kind: 'set'; test: CharTest }
  | { kind: 'assertion' }
  | { kind: 'group'; lookaround: boolean; branches: Item[][] };

interface Item {
  atom: Atom;
  min: number;
  /** After rewriting: open-ended repeats are already bounded here. */
  max: number;
  quantified: boolean;
}

interface ParsedPattern {
  root: Item[][];
  boundedSource: string;
}

const MATCHES_ANY: CharTest = () => true;
const isDigit: CharTest = (c) => c >= 48 && c <= 57;
const isWord: CharTest = (c) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpace: CharTest = (c) =>
  (c >= 9 && c <= 13) || c === 32 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
const isNotLineBreak: CharTest = (c) => c !== 10 && c !== 13 && c !== 0x2028 && c !== 0x2029;
const CLASS_ESCAPES: Record<string, CharTest> = {
  d: isDigit, D: (c) => !isDigit(c), w: isWord, W: (c) => !isWord(c), s: isSpace, S: (c) => !isSpace(c),
};
const CONTROL_ESCAPES: Record<string, number> = { n: 10, r: 13, t: 9, v: 11, f: 12 };
const QUANTIFIER = /\{(\d+)(,(\d*))?\}/y;

class PatternParser {
  private _pos = 0;
  private readonly _edits: Array<{ start: number; end: number; text: string }> = [];

  constructor(private readonly _source: string) {}

  parse(): ParsedPattern {
    const root = this._parseBranches();
    if (this._pos !== this._source.length) throw new Error('unbalanced parenthesis');
    let boundedSource = '';
    let copiedUpTo = 0;
    for (const edit of this._edits) {
      boundedSource += this._source.slice(copiedUpTo, edit.start) + edit.text;
      copiedUpTo = edit.end;
    }
    return { root, boundedSource: boundedSource + this._source.slice(copiedUpTo) };
  }

  private _parseBranches(): Item[][] {
    const branches = [this._parseSequence()];
    while (this._source[this._pos] === '|') {
      this._pos++;
      branches.push(this._parseSequence());
    }
    return branches;
  }

  private _parseSequence(): Item[] {
    const items: Item[] = [];
    while (this._pos < this._source.length) {
      const char = this._source[this._pos];
      if (char === '|' || char === ')') break;
      const atom = this._parseAtom();
      items.push(this._parseQuantifier(atom));
    }
    return items;
  }

  private _parseAtom(): Atom {
    const source = this._source;
    const char = source[this._pos];
    switch (char) {
      case '(': return this._parseGroup();
      case '[': return this._parseClass();
      case '.': this._pos++; return { kind: 'set', test: isNotLineBreak };
      case '^': case '$': this._pos++; return { kind: 'assertion' };
      case '\\': return this._parseEscape();
      case '*': case '+': case '?': throw new Error('nothing to repeat');
      default: this._pos++; return { kind: 'char', code: char.charCodeAt(0) };
    }
  }

  private _parseGroup(): Atom {
    const source = this._source;
    this._pos++;
    let lookaround = false;
    if (source.startsWith('?:', this._pos)) this._pos += 2;
    else if (source.startsWith('?=', this._pos) || source.startsWith('?!', this._pos)) { this._pos += 2; lookaround = true; }
    else if (source.startsWith('?<=', this._pos) || source.startsWith('?<!', this._pos)) { this._pos += 3; lookaround = true; }
    else if (source.startsWith('?<', this._pos)) {
      const close = source.indexOf('>', this._pos);
      if (close === -1) throw new Error('bad group name');
      this._pos = close + 1;
    }
    const branches = this._parseBranches();
    if (source[this._pos] !== ')') throw new Error('unterminated group');
    this._pos++;
    return { kind: 'group', lookaround, branches };
  }

  private _parseEscape(): Atom {
    const source = this._source;
    const next = source[this._pos + 1];
    if (next === undefined) throw new Error('trailing backslash');
    if (next >= '1' && next <= '9') throw new UnsafePattern('backreference');
    if (next === 'k' && source[this._pos + 2] === '<') throw new UnsafePattern('backreference');
    if (next === 'b' || next === 'B') { this._pos += 2; return { kind: 'assertion' }; }
    const classEscape = CLASS_ESCAPES[next];
    if (classEscape !== undefined) { this._pos += 2; return { kind: 'set', test: classEscape }; }
    const code = this._parseCharacterEscape();
    return code === undefined ? { kind: 'set', test: MATCHES_ANY } : { kind: 'char', code };
  }

  /** `\n`, `\x41`, `\u0041`, `\.`...; undefined for escapes whose character is not worth computing (`\cX`, `\0`). */
  private _parseCharacterEscape(): number | undefined {
    const source = this._source;
    const next = source[this._pos + 1];
    const hexLength = next === 'x' ? 2 : next === 'u' ? 4 : 0;
    if (hexLength > 0) {
      const hex = source.slice(this._pos + 2, this._pos + 2 + hexLength);
      if (/^[0-9a-fA-F]+$/.test(hex) && hex.length === hexLength) {
        this._pos += 2 + hexLength;
        return parseInt(hex, 16);
      }
    }
    this._pos += 2;
    if (next in CONTROL_ESCAPES) return CONTROL_ESCAPES[next];
    if (next === 'c' || (next >= '0' && next <= '9')) return undefined; // control and octal escapes
    return next.charCodeAt(0);
  }

  private _parseClass(): Atom {
    const source = this._source;
    this._pos++;
    const negated = source[this._pos] === '^';
    if (negated) this._pos++;
    const tests: CharTest[] = [];
    while (source[this._pos] !== ']') {
      if (this._pos >= source.length) throw new Error('unterminated class');
      const low = this._parseClassAtom();
      if (source[this._pos] === '-' && source[this._pos + 1] !== ']' && this._pos + 1 < source.length && typeof low === 'number') {
        this._pos++;
        const high = this._parseClassAtom();
        if (typeof high === 'number') {
          tests.push((c) => c >= low && c <= high);
          continue;
        }
        // `[a-\d]` (Annex B): "a", "-" and the escape, each on its own.
        tests.push((c) => c === low, (c) => c === 45, high);
        continue;
      }
      tests.push(typeof low === 'number' ? (c) => c === low : low);
    }
    this._pos++;
    const inClass: CharTest = (c) => tests.some((test) => test(c));
    return { kind: 'set', test: negated ? (c) => !inClass(c) : inClass };
  }

  private _parseClassAtom(): number | CharTest {
    const source = this._source;
    if (source[this._pos] !== '\\') return source.charCodeAt(this._pos++);
    const next = source[this._pos + 1];
    const classEscape = CLASS_ESCAPES[next];
    if (classEscape !== undefined) { this._pos += 2; return classEscape; }
    if (next === 'b') { this._pos += 2; return 8; } // backspace inside a class
    return this._parseCharacterEscape() ?? MATCHES_ANY;
  }

  private _parseQuantifier(atom: Atom): Item {
    const source = this._source;
    const start = this._pos;
    let min: number;
    let max: number;
    const char = source[start];
    if (char === '*') { min = 0; max = Infinity; this._pos++; }
    else if (char === '+') { min = 1; max = Infinity; this._pos++; }
    else if (char === '?') { min = 0; max = 1; this._pos++; }
    else if (char === '{') {
      QUANTIFIER.lastIndex = start;
      const braces = QUANTIFIER.exec(source);
      if (braces === null) return { atom, min: 1, max: 1, quantified: false }; // a literal "{" (Annex B)
      min = Number(braces[1]);
      max = braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3]);
      this._pos = QUANTIFIER.lastIndex;
    } else {
      return { atom, min: 1, max: 1, quantified: false };
    }
    if (max === Infinity) {
      max = min + OPEN_REPEAT_LIMIT;
      this._edits.push({ start, end: this._pos, text: `{${min},${max}}` });
    }
    if (source[this._pos] === '?') this._pos++; // lazy: same worst case
    if (atom.kind === 'assertion') throw new Error('nothing to repeat');
    return { atom, min, max, quantified: true };
  }
}

// ---- Cost: worst-case backtracking steps per start position ----

interface Cost {
  steps: number;
  /** How many different end positions the rest of the pattern may be tried from. */
  ends: number;
}

const CLAMP = 1e12;

function costOfBranches(branches: Item[][], atPatternEnd: boolean): Cost {
  let steps = 0;
  let ends = 0;
  for (const branch of branches) {
    const cost = costOfSequence(branch, atPatternEnd);
    steps = Math.min(CLAMP, steps + cost.steps);
    ends = Math.min(CLAMP, ends + cost.ends);
  }
  return { steps, ends: Math.max(1, ends) };
}

function costOfSequence(items: Item[], atPatternEnd: boolean): Cost {
  let steps = 0;
  let ends = 1;
  // Character tests of the current segment: an item none of them can match starts a new segment.
  let segmentTests: CharTest[] = [];
  let segmentIsOpaque = false;
  let disjointnessChecks = 0;
  items.forEach((item, index) => {
    const { atom } = item;
    const test = atom.kind === 'char' ? (c: number) => c === atom.code : atom.kind === 'set' ? atom.test : undefined;
    const startsNewSegment =
      test !== undefined && item.min >= 1 && ends > 1 && !segmentIsOpaque &&
      (atom.kind === 'char' ? !segmentTests.some((segmentTest) => segmentTest(atom.code)) : disjointnessChecks++ < MAX_DISJOINTNESS_CHECKS && isDisjoint(test, segmentTests));
    if (startsNewSegment) {
      // `[A-Z]+-` or `[a-z]+\d+`: the segment so far cannot swallow what comes next, so only one of
      // its ways to match can be followed by it. Each way still costs one probe of this item's first
      // character; after that the product of ways starts again from 1.
      steps = Math.min(CLAMP, steps + ends);
      ends = 1;
      segmentTests = [];
    }
    const inner = costOfAtom(atom);
    if (item.quantified && item.max > 1) {
      if (atom.kind === 'group' && groupHasVariableQuantifier(atom.branches)) throw new UnsafePattern('nested quantifier');
      if (atom.kind === 'group' && groupHasAlternation(atom.branches)) throw new UnsafePattern('alternation inside a repeated group');
      const isLastOfPattern = atPatternEnd && index === items.length - 1;
      // A trailing repeat can only fail before its minimum; once past it the match succeeds.
      const itemSteps = isLastOfPattern ? ends * item.min * inner.steps + item.max * inner.steps : ends * item.max * inner.steps;
      steps = Math.min(CLAMP, steps + itemSteps);
      if (!isLastOfPattern) ends = Math.min(CLAMP, ends * (item.max - item.min + 1));
    } else {
      steps = Math.min(CLAMP, steps + ends * inner.steps);
      ends = Math.min(CLAMP, ends * (inner.ends + (item.quantified && item.min === 0 ? 1 : 0)));
    }
    if (test !== undefined) segmentTests.push(test);
    else if (atom.kind === 'group') segmentIsOpaque = true;
  });
  return { steps, ends };
}

/** A class is checked against all 64K UTF-16 code units (about a millisecond); after that many, a long pattern is costed as overlapping. */
const MAX_DISJOINTNESS_CHECKS = 16;

function isDisjoint(next: CharTest, segmentTests: readonly CharTest[]): boolean {
  for (let code = 0; code <= 0xffff; code++) {
    if (next(code) && segmentTests.some((test) => test(code))) return false;
  }
  return true;
}

function costOfAtom(atom: Atom): Cost {
  if (atom.kind !== 'group') return { steps: 1, ends: 1 };
  const inner = costOfBranches(atom.branches, false);
  // A lookaround is atomic: once it has matched, the rest of the pattern does not retry it.
  return atom.lookaround ? { steps: inner.steps, ends: 1 } : inner;
}

/** A repeat inside a repeated group is only safe when it is a fixed count (`(?:\d{3}-){2}`). */
function groupHasVariableQuantifier(branches: Item[][]): boolean {
  return branches.some((items) =>
    items.some((item) => (item.quantified && item.min !== item.max) || (item.atom.kind === 'group' && groupHasVariableQuantifier(item.atom.branches))),
  );
}

function groupHasAlternation(branches: Item[][]): boolean {
  return branches.length > 1 || branches.some((items) => items.some((item) => item.atom.kind === 'group' && groupHasAlternation(item.atom.branches)));
}
