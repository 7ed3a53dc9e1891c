/**
 * Built-in detectors for sensitive text that does not depend on a key name: private keys,
 * credentials, well-known token formats, URL passwords, emails, SSNs, payment cards and phones.
 * (Values named by a sensitive key are handled by key-value-detector.ts.)
 *
 * Every regex here is linear in the length of the text: repeats are bounded or separated by a
 * character they cannot match, so a hostile 64 KiB string costs one pass per detector.
 * Lookbehinds such as `(?<![\w+])` are what keep ids, hex strings and decimals from matching.
 */
import { type Detector, MASK, regExpDetector } from './detector';
import { DIGIT_RUN_4, HAS_AT, HAS_CAPITAL_J, HAS_COLON, HAS_DASH, HAS_EQUALS, HAS_UNDERSCORE } from './text-features';

/** `-----BEGIN RSA PRIVATE KEY----- ... -----END RSA PRIVATE KEY-----`; an unterminated block (a value cut short) is masked to the end. */
export const privateKeyBlockDetector = regExpDetector({
  name: 'pem-private-key',
  trigger: 'PRIVATE KEY',
  regex: /(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)[\s\S]*?(-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g,
  replace: `$1${MASK}$2`,
});

/** `scheme://user:password@host`: keeps the user and host, which are what an engineer debugs with. */
export const urlPasswordDetector = regExpDetector({
  name: 'url-userinfo-password',
  requires: HAS_COLON | HAS_AT, // `://user:password@`
  trigger: '://',
  // Starts at "://" (a leading lookbehind for the scheme would make V8 try every position: 10x slower);
  // the password runs to the last "@" before the path.
  regex: /:\/\/([^\s/?#@:]{0,256}):([^\s/?#]{1,256})@/g,
  replace: (match, user: string, password: string) => (password === MASK ? match : `://${user}:${MASK}@`),
});

/**
 * `Bearer <token>` and `Basic <base64>` anywhere in text: keep the scheme word, mask the credential.
 * Prose must survive ("Basic authentication failed", "Bearer token expired"), so a Basic credential
 * must decode to `user:password` and a Bearer token must look like one.
 */
export const authorizationCredentialDetector = regExpDetector({
  name: 'bearer-basic-credential',
  trigger: (text) => BEARER_OR_BASIC.test(text),
  // A Basic credential is also found written out (`Basic alice:hunter2`), not only base64-encoded.
  regex: /\b(bearer|basic)([ \t]+)([A-Za-z0-9\-._~+/]+=*(?::[^\s"'<>]{1,256})?)/gi,
  replace: (match, scheme: string, space: string, credential: string) => (looksLikeCredential(scheme, credential) ? `${scheme}${space}${MASK}` : match),
});
const BEARER_OR_BASIC = /bearer|basic/i;
const TOKEN_PUNCTUATION_OR_DIGIT = /[\d\-._~+/=]/;

function looksLikeCredential(scheme: string, credential: string): boolean {
  if (scheme.toLowerCase() === 'basic') {
    if (credential.includes(':')) return true;
    return credential.length >= 4 && Buffer.from(credential, 'base64').toString('latin1').includes(':');
  }
  return credential.length >= 8 && (credential.length >= 20 || TOKEN_PUNCTUATION_OR_DIGIT.test(credential));
}

/** JWS (three segments) and JWE (five) compact tokens; the header always starts `{"` = `eyJ`. */
export const jwtDetector = regExpDetector({
  name: 'jwt',
  requires: HAS_CAPITAL_J,
  trigger: 'eyJ',
  regex: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){1,3}/g,
  replace: MASK,
});

/**
 * Token formats whose prefix is public and useful when debugging ("which credential leaked?"):
 * the prefix is kept, the rest masked.
 */
export const wellKnownTokenDetectors: readonly Detector[] = [
  regExpDetector({
    name: 'aws-access-key-id',
    trigger: (text) => text.includes('AKIA') || text.includes('ASIA'),
    regex: /(?<![A-Za-z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
    replace: `$1${MASK}`,
  }),
  regExpDetector({
    name: 'github-token',
    // `github_pat_` does not contain "gh": the corpus found fine-grained tokens passing unmasked.
    trigger: (text) => text.includes('gh') || text.includes('github_pat_'),
    regex: /(?<![A-Za-z0-9_])(gh[pousr]_|github_pat_)[A-Za-z0-9_]{20,255}/g,
    replace: `$1${MASK}`,
  }),
  regExpDetector({
    name: 'slack-token',
    trigger: 'xox',
    regex: /(?<![A-Za-z0-9])(xox[abposr]-)[A-Za-z0-9-]{8,255}/g,
    replace: `$1${MASK}`,
  }),
  // The formats below follow gitleaks' rules (config/gitleaks.toml) for the same providers: only those
  // anchored on a distinctive prefix, so each costs one substring test on text without it. gitleaks'
  // keyword-anchored generic rules (hundreds) are not taken: the sensitive-key detector covers
  // `api_key=...`, and running them all would cost more than the whole masking budget per span.
  regExpDetector({
    name: 'google-api-key',
    trigger: 'AIza',
    regex: /(?<![A-Za-z0-9_-])(AIza)[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g,
    replace: `$1${MASK}`,
  }),
  regExpDetector({
    name: 'openai-key',
    requires: HAS_DASH,
    trigger: 'sk-',
    regex: /(?<![A-Za-z0-9_-])(sk-(?:proj-|svcacct-|admin-)?)([A-Za-z0-9_-]{20,255})/g,
    // A slug such as `sk-release-notes-for-the-team` is not a key: keys mix digits and letters.
    replace: (match, prefix: string, rest: string) => (/\d/.test(rest) && /[A-Za-z]/.test(rest) ? prefix + MASK : match),
  }),
  regExpDetector({
    name: 'npm-token',
    requires: HAS_UNDERSCORE,
    trigger: 'npm_',
    regex: /(?<![A-Za-z0-9_])(npm_)[A-Za-z0-9]{36}(?![A-Za-z0-9])/g,
    replace: `$1${MASK}`,
  }),
  regExpDetector({
    name: 'pypi-token',
    requires: HAS_DASH,
    trigger: 'pypi-AgE',
    regex: /(?<![A-Za-z0-9_-])(pypi-)AgE[A-Za-z0-9_-]{50,1000}/g,
    replace: `$1${MASK}`,
  }),
  regExpDetector({
    name: 'gitlab-token',
    requires: HAS_DASH,
    trigger: (text) => GITLAB_PREFIX.test(text),
    regex: /(?<![A-Za-z0-9_-])(gl(?:pat|dt|rt|ptt|cbt|imt|oas|soat|ft|agent|ffct)-)[0-9A-Za-z_-]{20,255}/g,
    replace: `$1${MASK}`,
  }),
  regExpDetector({
    name: 'twilio-api-key',
    trigger: 'SK',
    regex: /(?<![A-Za-z0-9])(SK)[0-9a-fA-F]{32}(?![A-Za-z0-9])/g,
    replace: `$1${MASK}`,
  }),
  regExpDetector({
    name: 'sendgrid-key',
    trigger: 'SG.',
    regex: /(?<![A-Za-z0-9])(SG\.)[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g,
    replace: `$1${MASK}`,
  }),
  regExpDetector({
    name: 'stripe-key',
    requires: HAS_UNDERSCORE,
    trigger: (text) => text.includes('_live_') || text.includes('_test_'),
    regex: /(?<![A-Za-z0-9])((?:sk|rk|pk)_(?:live|test)_)[A-Za-z0-9]{8,255}/g,
    replace: `$1${MASK}`,
  }),
];

const GITLAB_PREFIX = /gl(?:pat|dt|rt|ptt|cbt|imt|oas|soat|ft|agent|ffct)-/;

/**
 * OAuth 2.0 authorization responses (RFC 6749 §4.1.2): `?code=...&state=...` on the redirect URI. The
 * code is a one-time credential (exchanged for tokens), the state often carries a session binding.
 * `code=` alone is too common (`?code=DE`, `status_code=500` is not matched: a whole parameter name is
 * required), so a code is masked only in a query that also has `state=`, or whose URL looks like a
 * callback; a state only next to a code.
 */
export const oauthCallbackDetector: Detector = {
  name: 'oauth-callback',
  requires: HAS_EQUALS,
  mightMatch: (text) => text.includes('code='),
  mask(text) {
    if (!OAUTH_CODE_PARAM.test(text)) return text;
    const hasState = OAUTH_STATE_PARAM.test(text);
    if (!hasState && !OAUTH_CALLBACK_HINT.test(text)) return text;
    return text.replace(OAUTH_PARAMS, (match, start: string, name: string, value: string) =>
      value === MASK || (name === 'state' && !hasState) ? match : `${start}${name}=${MASK}`,
    );
  },
};
const OAUTH_CODE_PARAM = /(?:^|[?&#])code=[^&#\s]/;
const OAUTH_STATE_PARAM = /(?:^|[?&#])state=[^&#\s]/;
const OAUTH_CALLBACK_HINT = /callback|oauth|authori[sz]e|signin|sign-in|login|redirect/i;
const OAUTH_PARAMS = /(^|[?&#])(code|state)=([^&#\s"'<>]+)/g;

/**
 * IBANs (ISO 13616), compact or in groups of four: `DE89370400440532013000`, `GB82 WEST 1234 5698 7654 32`
 * -> `DE***`. Only a known country's length with a valid mod-97 check digit is masked, so product
 * codes that happen to start with two letters and two digits stay.
 */
export const ibanDetector = regExpDetector({
  name: 'iban',
  trigger: (text) => IBAN_START.test(text),
  regex: /(?<![A-Za-z0-9])([A-Z]{2})(\d{2})((?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?)(?![A-Za-z0-9])/g,
  replace: (match, country: string, check: string, rest: string) => {
    const bban = rest.replace(/ /g, '');
    return IBAN_LENGTHS[country] === 4 + bban.length && ibanChecksumIsValid(country + check + bban) ? country + MASK : match;
  },
});
const IBAN_START = /[A-Z]{2}\d{2}/;
/** IBAN length per country (SWIFT IBAN registry). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
};

function ibanChecksumIsValid(iban: string): boolean {
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    const value = code >= 65 ? code - 55 : code - 48; // A=10 ... Z=35
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

/**
 * An SSN written without dashes (`SSN 123456789`, `ssn: 123 45 6789`, `social security number 123 45
 * 6789`): nine digits are anything without the keyword, so the keyword is required. Runs before the
 * key/value detector, which would mask only the first group of `ssn: 123 45 6789`.
 */
export const keywordSsnDetector = regExpDetector({
  name: 'us-ssn-after-keyword',
  requires: DIGIT_RUN_4,
  trigger: (text) => SSN_KEYWORD.test(text),
  // Not after "=": `ssn=123456789` is a key/value pair, masked whole (`ssn=***`) by the key/value detector.
  regex: /\b(ssns?|social[ _-]security(?:[ _-](?:number|no\.?|#))?)([^\w=]{1,4})(\d{3})([ -]?)(\d{2})\4(\d{4})(?![\w-])/gi,
  replace: (match, keyword: string, between: string, area: string, _separator: string, group: string, serial: string) =>
    isIssuableSsn(area, group, serial) ? `${keyword}${between}***-**-****` : match,
});
const SSN_KEYWORD = /ssn|social.security/i;

/**
 * Card numbers in full-width digits (`４１１１ １１１１ １１１１ １１１１`, as typed with a CJK input
 * method): read as ASCII digits, masked like other cards.
 */
export const fullWidthCardDetector = regExpDetector({
  name: 'full-width-payment-card',
  trigger: (text) => FULL_WIDTH_DIGIT.test(text),
  regex: /[\uFF10-\uFF19](?:[ \u3000.\-\uFF0D]?[\uFF10-\uFF19]){12,18}/g,
  replace: (match: string) => {
    const digits = match.replace(/[^\uFF10-\uFF19]/g, '').replace(/[\uFF10-\uFF19]/g, (digit) => String.fromCharCode(digit.charCodeAt(0) - 0xfee0));
    return isPaymentCardNumber(digits) ? CARD_MASK_PREFIX + digits.slice(-4) : match;
  },
});
const FULL_WIDTH_DIGIT = /[\uFF10-\uFF19]/;

/**
 * `alice@example.com` -> `a***@example.com`, also URL-encoded (`carol%40example.com`).
 * Written as a scan from each "@" rather than one regex: a regex that starts at the local part
 * retries at every letter of every word; this costs one step per "@".
 */
export const emailDetector: Detector = {
  name: 'email',
  mightMatch: (text) => text.includes('@') || text.includes('%40'),
  mask: maskEmails,
};

const AT_SIGN = /@|%40/g;
// Internationalised domains (`müller.de`, `exämple.com`, RFC 5890) are written in Unicode in text, not only as `xn--`.
const EMAIL_DOMAIN = /[\p{L}\p{N}][\p{L}\p{N}\p{M}-]{0,62}(?:\.[\p{L}\p{N}][\p{L}\p{N}\p{M}-]{0,62}){1,8}/uy;
const MAX_LOCAL_PART = 64;

function maskEmails(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  AT_SIGN.lastIndex = 0;
  for (let at = AT_SIGN.exec(text); at !== null; at = AT_SIGN.exec(text)) {
    const atIndex = at.index;
    const afterAt = atIndex + at[0].length;
    let localStart = atIndex;
    while (localStart > copiedUpTo && atIndex - localStart < MAX_LOCAL_PART && isLocalPartChar(text.charCodeAt(localStart - 1))) localStart--;
    if (localStart === atIndex) continue;
    EMAIL_DOMAIN.lastIndex = afterAt;
    const domainMatch = EMAIL_DOMAIN.exec(text);
    if (domainMatch === null) continue;
    const domain = trimToRegisteredDomain(domainMatch[0]);
    if (domain === undefined) continue;
    const firstChar = String.fromCodePoint(text.codePointAt(localStart) ?? 0); // a whole character, not half a surrogate pair
    out += text.slice(copiedUpTo, localStart) + firstChar + MASK + at[0] + domain;
    copiedUpTo = afterAt + domain.length;
    AT_SIGN.lastIndex = copiedUpTo;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

/**
 * RFC 5322 "atext" minus the rare ones, plus "%" for URL-encoded local parts, plus any non-ASCII
 * letter, digit or mark (RFC 6531 local parts, `jörg@`): without them the scan stopped at `ö` and
 * exported `jör***@`.
 */
function isLocalPartChar(code: number): boolean {
  if (code >= 0x80) return NON_ASCII_WORD_CHAR.test(String.fromCharCode(code)) || (code >= 0xd800 && code <= 0xdfff);
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 46 /* . */ ||
    code === 95 /* _ */ ||
    code === 37 /* % */ ||
    code === 43 /* + */ ||
    code === 45 /* - */
  );
}
const NON_ASCII_WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

/** `mail.example.org` stays; `5.1.0` (as in `express@5.1.0`) is not a domain; `db.internal.5432` loses its last label. */
function trimToRegisteredDomain(candidate: string): string | undefined {
  let end = candidate.length;
  for (let dot = candidate.lastIndexOf('.'); dot > 0; dot = candidate.lastIndexOf('.', dot - 1)) {
    if (isTopLevelDomain(candidate, dot + 1, end)) return candidate.slice(0, end);
    end = dot;
  }
  return undefined;
}

/** 2 to 24 letters (`de`, `com`, `рф`), or an `xn--` A-label. */
function isTopLevelDomain(text: string, start: number, end: number): boolean {
  if (end - start < 2 || end - start > 63) return false;
  return TOP_LEVEL_DOMAIN.test(text.slice(start, end));
}
const TOP_LEVEL_DOMAIN = /^(?:\p{L}{2,24}|xn--[a-z0-9-]{1,59})$/iu;

/** `123-45-6789` -> `***-**-****`; numbers the SSA never issues (area 000, 666, 9xx; group 00; serial 0000) are left alone. */
export const ssnDetector = regExpDetector({
  name: 'us-ssn',
  requires: DIGIT_RUN_4 | HAS_DASH,
  trigger: '-',
  regex: /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w-])/g,
  replace: (match, area: string, group: string, serial: string) => (isIssuableSsn(area, group, serial) ? '***-**-****' : match),
});

function isIssuableSsn(area: string, group: string, serial: string): boolean {
  return !(area === '000' || area === '666' || area[0] === '9' || group === '00' || serial === '0000');
}

/**
 * 13-19 digits, optionally grouped by spaces or dashes, Luhn-valid, with a card network's first
 * digit (2-6): `****-****-****-1234`. The first-digit rule keeps unix-ms timestamps (13 digits
 * starting with 1, until 2033) from being masked one time in ten; a digit run longer than 19 is not
 * a card. A card followed by more digit groups (an expiry, an amount) is found inside the run.
 */
export const paymentCardDetector = regExpDetector({
  name: 'payment-card',
  requires: DIGIT_RUN_4,
  // Dots too (`4111.1111.1111.1111`, as some European forms write it).
  regex: /(?<![\w.+-])\d(?:[ .-]?\d){12,18}(?![\w-]|\.\d)/g,
  replace: maskCardInDigitGroups,
});
const CARD_MASK_PREFIX = '****-****-****-';

function maskCardInDigitGroups(match: string): string {
  const groups = [...match.matchAll(/\d+/g)].map((group) => ({ start: group.index ?? 0, digits: group[0] }));
  // Longest span of whole groups first: "4111 1111 1111 1111 12 26" holds a card in its first four groups.
  for (let span = groups.length; span >= 1; span--) {
    for (let first = 0; first + span <= groups.length; first++) {
      const spanned = groups.slice(first, first + span);
      const digits = spanned.map((group) => group.digits).join('');
      if (!isPaymentCardNumber(digits)) continue;
      const last = spanned[spanned.length - 1];
      return match.slice(0, spanned[0].start) + CARD_MASK_PREFIX + digits.slice(-4) + match.slice(last.start + last.digits.length);
    }
  }
  return match;
}

export function isPaymentCardNumber(digits: string): boolean {
  if (digits.length < 13 || digits.length > 19) return false;
  const first = digits.charCodeAt(0) - 48;
  if (first < 2 || first > 6) return false;
  if (digits.length === 13 && first !== 4) return false;
  return passesLuhn(digits);
}

export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}
