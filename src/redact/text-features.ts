/**
 * Facts about a text that several detectors check, each found at most once per text and only when a
 * detector asks, so that detectors which cannot match are skipped without running their own pre-check.
 *
 * Why: each detector's pre-check (`mightMatch`) is cheap alone, but there are 25 of them and most scan
 * the whole text: on an exception's stack trace (~600 characters) they cost ~8 µs, more than the
 * masking itself. `/\d{4}/` ran twice (cards, North American phones), `sk-`, `pypi-AgE` and the GitLab
 * prefixes each searched for their dash. Here a dash is searched once (a native single-character
 * search, tens of nanoseconds) and a run of four digits once; the two phone prefixes are found
 * without a regex (below).
 * (A single JavaScript loop computing everything was measured first: it cost more than the regexes.)
 *
 * Contract: a detector's `requires` facts must hold for every text its `mask` changes, so skipping it
 * when one is false changes no output (test/unit/redact/text-features.test.ts checks this on the PII
 * corpus). The facts are a necessary condition, never a sufficient one: a detector that passes still
 * runs its own pre-check and regex.
 */

/** Four ASCII digits in a row (cards in groups of four, an SSN's serial, NANP's last group). */
export const DIGIT_RUN_4 = 1 << 0;
/** `@`: emails and URL passwords (`://user:pw@`). */
export const HAS_AT = 1 << 1;
export const HAS_DASH = 1 << 2;
export const HAS_UNDERSCORE = 1 << 3;
export const HAS_EQUALS = 1 << 4;
export const HAS_COLON = 1 << 5;
/** A capital J: every JWT starts with `eyJ` (base64url of `{"`). */
export const HAS_CAPITAL_J = 1 << 6;

const DIGIT_RUN_OF_FOUR = /\d{4}/;

function findFact(text: string, fact: number): boolean {
  switch (fact) {
    case DIGIT_RUN_4:
      return DIGIT_RUN_OF_FOUR.test(text);
    case HAS_AT:
      return text.includes('@');
    case HAS_DASH:
      return text.includes('-');
    case HAS_UNDERSCORE:
      return text.includes('_');
    case HAS_EQUALS:
      return text.includes('=');
    case HAS_COLON:
      return text.includes(':');
    case HAS_CAPITAL_J:
      return text.includes('J');
    default:
      return true;
  }
}

/** The facts of one text, found on demand. */
export class TextFacts {
  private _known = 0;
  private _true = 0;

  constructor(private readonly _text: string) {}

  /** Whether every fact in `facts` (a bit set) holds. */
  hold(facts: number): boolean {
    let unknown = facts & ~this._known;
    while (unknown !== 0) {
      const fact = unknown & -unknown;
      if (findFact(this._text, fact)) this._true |= fact;
      this._known |= fact;
      unknown &= ~fact;
    }
    return (this._true & facts) === facts;
  }
}

/**
 * `(?:^|[^\w.+-])\(?0[1-9]` without a regex (it cost ~1 µs on a stack trace): a `0` followed by 1-9
 * at the start of the text or after a character that is not a word character, `.`, `+` or `-`
 * (`(` is such a character, which covers `(030)`).
 */
export function hasTrunkPrefix(text: string): boolean {
  for (let zero = text.indexOf('0'); zero >= 0 && zero < text.length - 1; zero = text.indexOf('0', zero + 1)) {
    const next = text.charCodeAt(zero + 1);
    if (next < 49 || next > 57) continue;
    if (zero === 0 || !isNumberContinuation(text.charCodeAt(zero - 1))) return true;
  }
  return false;
}

/**
 * Where an international number can start (`(?<![\w+.])(?:\+\d|00[1-9])`, the necessary start of
 * phone-detectors.ts's regex) without running it: `+` and a digit, or `00` and 1-9, not right after a
 * word character, `+` or `.` (so `100042` and `1.005` are not starts).
 */
export function hasInternationalPrefix(text: string): boolean {
  for (let plus = text.indexOf('+'); plus >= 0; plus = text.indexOf('+', plus + 1)) {
    if (isAsciiDigit(text.charCodeAt(plus + 1)) && (plus === 0 || !isPhonePrefixContinuation(text.charCodeAt(plus - 1)))) return true;
  }
  for (let zeros = text.indexOf('00'); zeros >= 0; zeros = text.indexOf('00', zeros + 1)) {
    const next = text.charCodeAt(zeros + 2);
    if (next >= 49 && next <= 57 && (zeros === 0 || !isPhonePrefixContinuation(text.charCodeAt(zeros - 1)))) return true;
  }
  return false;
}

function isAsciiDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** `[\w+.]`. */
function isPhonePrefixContinuation(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 43 || code === 46;
}

/** `[\w.+-]`: word characters, dot, plus, dash. */
function isNumberContinuation(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 46 || code === 43 || code === 45;
}
