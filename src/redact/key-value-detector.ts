/**
 * Values named by a sensitive key, wherever the key/value pair is written as text:
 *   `password=hunter2`, `DB_PASSWORD: x`, `?token=abc&x=1`       -> `password=***`, `?token=***&x=1`
 *   `{"password":"x"}`, `{"cvv": 123}`, `{\"apiKey\":\"x\"}`      -> `"***"` (the JSON stays valid)
 *   `Authorization: Bearer abc`, `Cookie: a=1; b=2`               -> `Authorization: Bearer ***`, `Cookie: ***`
 * and URL-encoded values of any key (`email=carol%40example.com`, `q=%2B44%2020%207946%200958`),
 * which are decoded, masked by the other detectors and re-encoded.
 *
 * Approach: a regex finds a key and its separator; the value is then read by hand, because where it
 * ends depends on the key (a cookie header runs to the end of the line, a password to the next blank
 * or `&`) and on how it is quoted. Values of keys that are not sensitive are scanned again for keys
 * (`url=https://x/?token=abc`).
 *
 * Limitations: an unquoted value ends at the first blank, so `password: correct horse battery` only
 * masks `correct`; quote such values or use a sensitive attribute key.
 */
import { type Detector, MASK } from './detector';
import { type KeySensitivity, type SensitiveKeyClassifier } from './sensitive-keys';
import { escapeRegExp } from '../escape-reg-exp';

/** Authorization schemes whose name is kept in front of the masked credential. */
const AUTH_SCHEME = /^(?:bearer|basic|digest|token|negotiate|ntlm|apikey|aws4-hmac-sha256|hoba|mutual|vapid|dpop|scram-sha-1|scram-sha-256)(?=[ \t])/i;
const BLANKS = /^[ \t]+/;
/** Longest scheme name plus the blank after it. */
const MAX_SCHEME_LENGTH = 20;
const ESCAPED_JSON_BREAKS = '"nrt';
const MAX_KEY_LENGTH = 64;

/**
 * Sensitive keys followed by `=` or `:` (optionally after a closing quote, also `\"` of escaped JSON).
 * Approach: the regex starts at a word every sensitive key contains (the classifier's hint words:
 * `pass`, `token`, `key`...), so it only stops where a sensitive key is plausible; the key's start is
 * then found by walking back, and the whole key is classified. Starting at every word instead costs
 * ~6x more on a typical stack trace, most of whose words are followed by ":".
 */
export function sensitiveKeyValueDetector(classifier: SensitiveKeyClassifier): Detector {
  // Key characters include `[` `]` and their escapes `%5B` `%5D`: nested form keys (qs, jQuery.param,
  // Rails, PHP) such as `user[password]=`, `user%5Bpassword%5D=`, `token[]=`, `data[credentials][api_key]=`.
  const candidate = new RegExp(
    `((?:${classifier.hintWords.map(escapeRegExp).join('|')})(?:[\\w.\\-$\\[\\]]|%5[BbDd]){0,${MAX_KEY_LENGTH}})(\\\\?["']|)[ \\t]{0,3}([=:])[ \\t]{0,3}`,
    'gi',
  );
  return {
    name: 'sensitive-key-value',
    mightMatch: (text) => (text.includes('=') || text.includes(':')) && classifier.textHint.test(text),
    mask(text) {
      let out = '';
      let copiedUpTo = 0;
      candidate.lastIndex = 0;
      for (let found = candidate.exec(text); found !== null; found = candidate.exec(text)) {
        const [, keyTail, closingQuote, separator] = found;
        const keyEnd = found.index + keyTail.length;
        let keyStart = found.index;
        while (keyStart > 0 && keyEnd - keyStart < MAX_KEY_LENGTH && isKeyChar(text.charCodeAt(keyStart - 1))) keyStart--;
        const sensitivity = classifier.classify(unescapeBrackets(text.slice(keyStart, keyEnd)));
        if (sensitivity === 'none') {
          candidate.lastIndex = keyEnd; // the value may itself hold pairs: `url=https://x/?token=abc`
          continue;
        }
        const keyQuote = closingQuote !== '' && text.startsWith(closingQuote, keyStart - closingQuote.length) ? closingQuote : '';
        const valueStart = candidate.lastIndex;
        const masked = maskValue(text, valueStart, { keyQuote, separator, sensitivity });
        if (masked === undefined) continue;
        out += text.slice(copiedUpTo, valueStart) + masked.replacement;
        copiedUpTo = masked.end;
        candidate.lastIndex = masked.end;
      }
      return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
    },
  };
}

/**
 * A `=value` holding percent-encoding or `+` (a query value): decoded, masked by the other
 * detectors (`maskDecodedValue`), and re-encoded if anything in it was masked. This is how
 * `email=carol%40example.com` or `q=%2B44%2020%207946%200958` are found.
 */
export function encodedValueDetector(maskDecodedValue: (decoded: string) => string): Detector {
  const encodedValue = /=([^\s&#;,"'<>`]+)/g;
  return {
    name: 'url-encoded-value',
    mightMatch: (text) => text.includes('=') && (text.includes('%') || text.includes('+')),
    mask: (text) =>
      text.replace(encodedValue, (match: string, value: string) => {
        if (!value.includes('%') && !value.includes('+')) return match;
        let decoded: string;
        try {
          decoded = decodeURIComponent(value.replace(/\+/g, ' '));
        } catch {
          return match; // not valid percent-encoding: the raw text is still scanned by the other detectors
        }
        const masked = maskDecodedValue(decoded);
        return masked === decoded ? match : `=${encodeURIComponent(masked)}`;
      }),
  };
}

/** `[`, `]` and `%` (of `%5B`) belong to nested form keys: `user[password]`, `user%5Bpassword%5D`. */
function isKeyChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 46 ||
    code === 45 ||
    code === 36 ||
    code === 91 ||
    code === 93 ||
    code === 37
  );
}

const ESCAPED_BRACKET = /%5[BbDd]/g;

/** `user%5Bpassword%5D` is classified as `user[password]` (else the words would be `5bpassword`, `5d`). */
function unescapeBrackets(key: string): string {
  return key.includes('%') ? key.replace(ESCAPED_BRACKET, '.') : key;
}

interface MaskedValue {
  replacement: string;
  /** Index just past the original value. */
  end: number;
}

interface ValueContext {
  keyQuote: string;
  separator: string;
  sensitivity: KeySensitivity;
}

function maskValue(text: string, start: number, context: ValueContext): MaskedValue | undefined {
  if (text.startsWith(MASK, start)) return undefined; // already masked (by the URL password detector, say)
  const first = text[start];
  if (first === '=' || first === '>') return undefined; // `token == null`, `token => ...`: code, not a pair
  if (text.startsWith('\\"', start)) {
    const close = text.indexOf('\\"', start + 2);
    if (close !== -1) return quoted('\\"', text.slice(start + 2, close), close + 2, context);
  }
  if (first === '"' || first === "'") {
    const close = findClosingQuote(text, start + 1, first);
    if (close !== -1) return quoted(first, text.slice(start + 1, close), close + 1, context);
    return { replacement: first + MASK, end: findLineEnd(text, start + 1) };
  }
  const isHeaderLine = context.separator === ':' && context.keyQuote === '' && context.sensitivity !== 'secret';
  const end = isHeaderLine ? findLineEnd(text, start) : findTokenEnd(text, start);
  if (end === start) return undefined;
  const value = text.slice(start, end);
  if (context.keyQuote !== '' && context.keyQuote !== "'") {
    // A JSON property: keep literals (nothing secret in them) and nested objects (their keys are scanned next).
    if (value === 'null' || value === 'true' || value === 'false' || first === '{' || first === '[') return undefined;
    return { replacement: `${context.keyQuote}${MASK}${context.keyQuote}`, end };
  }
  if (context.sensitivity === 'credentials') return maskCredentials(text, start, end);
  return { replacement: MASK, end };
}

function quoted(quote: string, inner: string, end: number, context: ValueContext): MaskedValue | undefined {
  if (inner === '' || inner === MASK) return undefined;
  const scheme = context.sensitivity === 'credentials' ? AUTH_SCHEME.exec(inner) : null;
  const kept = scheme === null ? '' : inner.slice(0, scheme[0].length) + (BLANKS.exec(inner.slice(scheme[0].length))?.[0] ?? '');
  return { replacement: `${quote}${kept}${MASK}${quote}`, end };
}

/** `authorization=Bearer abc` or an Authorization header line: keep the scheme word, mask the credential after it. */
function maskCredentials(text: string, start: number, end: number): MaskedValue {
  // Looked for past `end`: for `authorization=Bearer abc` the value token is only "Bearer".
  const scheme = AUTH_SCHEME.exec(text.slice(start, start + MAX_SCHEME_LENGTH));
  if (scheme === null) return { replacement: MASK, end };
  const blanks = BLANKS.exec(text.slice(start + scheme[0].length, start + scheme[0].length + 16))?.[0] ?? '';
  const credentialStart = start + scheme[0].length + blanks.length;
  const credentialEnd = Math.max(end, findTokenEnd(text, credentialStart));
  if (credentialEnd === credentialStart) return { replacement: scheme[0] + blanks, end: credentialStart };
  return { replacement: scheme[0] + blanks + MASK, end: credentialEnd };
}

/** Index of the closing quote (honouring backslash escapes) on the same line, or -1. */
function findClosingQuote(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    const char = text[i];
    if (char === '\\') i++;
    else if (char === quote) return i;
    else if (char === '\n' || char === '\r') return -1;
  }
  return -1;
}

/**
 * End of a header-line value: a line break, an escaped line break (`\n` inside a JSON-encoded log
 * line), or a double quote that ends the JSON string the line sits in. A quote right after "=" opens
 * a quoted parameter (`Digest username="bob", response="..."`, `a="x y"`) and is skipped to its close.
 */
function findLineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10 || code === 13) return i;
    if (code === 34 /* " */) {
      if (text.charCodeAt(i - 1) !== 61 /* = */) return i;
      const close = findClosingQuote(text, i + 1, '"');
      if (close === -1) continue; // unterminated: an ordinary character
      i = close;
      continue;
    }
    if (code === 92 /* \ */) {
      const next = text[i + 1];
      if (next === 'n' || next === 'r' || next === '"') return i;
    }
  }
  return text.length;
}

/** End of an unquoted value: a blank, a pair separator (`&`, `;`, `,`), a quote, or JSON/markup punctuation. */
function findTokenEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    switch (text.charCodeAt(i)) {
      case 32:
      case 9:
      case 10:
      case 13: // blanks
      case 38:
      case 59:
      case 44: // & ; ,
      case 34:
      case 39:
      case 96: // " ' `
      case 60:
      case 62: // < >
      case 125:
      case 93: // } ]
        return i;
      case 92: // \" \n \r \t: the end of a value inside an escaped JSON string
        if (ESCAPED_JSON_BREAKS.includes(text[i + 1])) return i;
        break;
    }
  }
  return text.length;
}
