/**
 * Builds the masking policy once at start (detectors, key classifier, user patterns); the policy's
 * methods are then the hot path, run on every span before any exporter sees it.
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { type Detector, MASK } from './detector';
import {
  authorizationCredentialDetector,
  emailDetector,
  fullWidthCardDetector,
  ibanDetector,
  jwtDetector,
  keywordSsnDetector,
  oauthCallbackDetector,
  paymentCardDetector,
  privateKeyBlockDetector,
  ssnDetector,
  urlPasswordDetector,
  wellKnownTokenDetectors,
} from './detectors';
import { internationalPhoneDetector, nationalTrunkPhoneDetector, northAmericanPhoneDetector } from './phone-detectors';
import { encodedValueDetector, sensitiveKeyValueDetector } from './key-value-detector';
import { type KeySensitivity, SensitiveKeyClassifier } from './sensitive-keys';
import type { MaskingOptions, MaskingPolicy } from './types';
import { type AddressKeyKind, addressKeyKind, compileAddressMasker } from './client-ip';
import { type UserPattern, applyUserPatterns, compileUserPatterns } from './user-patterns';
import { TextFacts } from './text-features';

/**
 * Longest text that is masked: a longer string (a request body, a dump) is cut, so that one huge
 * value cannot cost more than a bounded amount of CPU per span.
 */
export const MAX_MASKED_LENGTH = 64 * 1024;
/** How far back from the cut to look for a blank or separator, so a secret is not cut in half (half a token no longer matches its detector). */
const CUT_LOOKBACK = 1024;

const DROPPED = Symbol('dropped');
/** Keys remembered with their classification and masked form (a few hundred distinct keys is typical). */
const MAX_CACHED_KEYS = 2048;

interface KeyInfo {
  sensitivity: KeySensitivity;
  /** The key as exported: keys are app text too (`setAttribute('notify.frank@example.com', ...)`). */
  maskedKey: string;
  addressKind: AddressKeyKind;
}

/** @opentelemetry/api SpanKind.SERVER. */
const SPAN_KIND_SERVER = 1;

/** The smallest number that can hold a payment card (13 digits) or a phone number (8+ digits with a country code is text only). */
const MIN_MASKED_NUMBER = 1e12;

/** Masking results remembered (see CompiledMaskingPolicy.maskString): at most ~1 MB of text. */
const MEMO_MAX_ENTRIES = 4096;
const MEMO_MAX_LENGTH = 256;

const AUTH_SCHEME_PREFIX = /^(?:bearer|basic|digest|token|negotiate|ntlm|apikey|aws4-hmac-sha256|dpop)[ \t]+/i;

export function compileMaskingPolicy(options: MaskingOptions = {}): { policy: MaskingPolicy; problems: string[] } {
  const extraKeys = (options?.extraKeys ?? []).filter((key): key is string => typeof key === 'string' && key.trim() !== '');
  const { patterns, problems } = compileUserPatterns(options?.extraPatterns ?? []);
  const clientAddresses = compileAddressMasker(options?.clientIp ?? 'mask');
  return { policy: new CompiledMaskingPolicy(new SensitiveKeyClassifier(extraKeys), patterns, clientAddresses), problems };
}

/**
 * Order matters: whole blocks and key/value pairs first (they mask a value whole), then formats that
 * contain other formats (a JWT contains digits, a URL password may contain "@"), numbers last.
 * `decodedValues` is absent for the detectors that run on an already decoded value.
 */
function builtInDetectors(keyValues: Detector, decodedValues?: Detector): Detector[] {
  return [
    privateKeyBlockDetector,
    urlPasswordDetector,
    keywordSsnDetector, // before key/value: `ssn: 123 45 6789` is one value, not three tokens
    keyValues,
    ...(decodedValues ? [decodedValues] : []),
    oauthCallbackDetector,
    authorizationCredentialDetector,
    jwtDetector,
    ...wellKnownTokenDetectors,
    emailDetector,
    ssnDetector,
    ibanDetector, // before cards and phones, which would take its digits for theirs
    paymentCardDetector,
    fullWidthCardDetector,
    internationalPhoneDetector,
    nationalTrunkPhoneDetector,
    northAmericanPhoneDetector,
  ];
}

/**
 * Detectors declare facts they need (text-features.ts), found once per text and shared, so most
 * detectors are skipped without their own pre-check, which on a stack trace cost more than the
 * masking. A detector that changes the text starts a new set of facts.
 */
function runDetectors(text: string, detectors: readonly Detector[]): string {
  let facts = new TextFacts(text);
  for (const detector of detectors) {
    if (detector.requires !== undefined && !facts.hold(detector.requires)) continue;
    if (!detector.mightMatch(text)) continue;
    const masked = detector.mask(text);
    if (masked === text) continue;
    text = masked;
    facts = new TextFacts(text);
  }
  return text;
}

class CompiledMaskingPolicy implements MaskingPolicy {
  private readonly _detectors: readonly Detector[];

  constructor(
    private readonly _classifier: SensitiveKeyClassifier,
    private readonly _userPatterns: readonly UserPattern[],
    private readonly _maskAddresses: ((value: string) => string) | undefined,
  ) {
    // Decoded query values are masked by the same detectors, minus a second round of decoding.
    const keyValues = sensitiveKeyValueDetector(_classifier);
    const decodedValueDetectors = builtInDetectors(keyValues);
    const encodedValues = encodedValueDetector((decoded) => runDetectors(decoded, decodedValueDetectors));
    this._detectors = builtInDetectors(keyValues, encodedValues);
    // Callers pass these around as functions (`values.map(policy.maskString)`).
    this.maskString = this.maskString.bind(this);
    this.maskAttributes = this.maskAttributes.bind(this);
  }

  /**
   * Results for short strings, kept because most attribute values repeat from span to span (methods,
   * addresses, routes, user agents, span names): the worker's profile showed masking at ~10 µs per
   * span, nearly all of it re-scanning values it had scanned before. Bounded in entries and length;
   * cleared when full. It holds text the process already has, and only in the export worker.
   */
  private readonly _recentResults = new Map<string, string>();

  maskString(value: string): string {
    if (typeof value !== 'string' || value.length > MEMO_MAX_LENGTH) return this._maskString(value, 0);
    const known = this._recentResults.get(value);
    if (known !== undefined) return known;
    const masked = this._maskString(value, 0);
    if (this._recentResults.size >= MEMO_MAX_ENTRIES) this._recentResults.clear();
    this._recentResults.set(value, masked);
    return masked;
  }

  private _maskString(value: string, depth: number): string {
    if (typeof value !== 'string' || value.length === 0) return value;
    if (value.length > MAX_MASKED_LENGTH) return this._maskTruncated(value, depth);
    return this._maskText(value, depth);
  }

  /** Detectors, user patterns, then the percent-decoding pass: the same for a whole value and for a cut one. */
  private _maskText(value: string, depth: number): string {
    let masked = applyUserPatterns(runDetectors(value, this._detectors), this._userPatterns);
    // Percent-encoded tokens (a path segment, a query value, a double-encoded URL inside a query):
    // detectors see `%20AKIA...` or `carol%2540example.com`, not the secret inside. Each token that
    // still holds an escape is decoded once and masked again (recursively, for double encoding);
    // a token in which that finds something is exported decoded and masked, the rest stay as they were.
    if (depth < MAX_DECODE_DEPTH && PERCENT_ESCAPE.test(masked)) {
      masked = replaceEncodedTokens(masked, (decoded) => this._maskString(decoded, depth + 1));
    }
    return masked === value ? value : masked;
  }

  maskAttributes(attributes: Attributes, spanKind?: number): Attributes {
    if (attributes === null || typeof attributes !== 'object') return attributes;
    let keys: string[];
    try {
      keys = Object.keys(attributes);
    } catch {
      return {}; // an exotic object (a throwing Proxy): nothing in it can be shown safely
    }
    // Each value is read once (a getter may throw, or answer differently the second time).
    const maskedValues: Array<AttributeValue | undefined | typeof DROPPED> = new Array(keys.length);
    // Keys are app text too: `setAttribute('notify.frank@example.com', true)` put an email in a key.
    const maskedKeys: string[] = new Array(keys.length);
    const isServerSpan = spanKind === SPAN_KIND_SERVER;
    let changed = false;
    for (let i = 0; i < keys.length; i++) {
      maskedKeys[i] = keys[i];
      try {
        const info = this._keyInfo(keys[i]);
        const value = attributes[keys[i]];
        maskedValues[i] = this._maskAttributeValue(info, value, isServerSpan);
        if (maskedValues[i] !== value) changed = true;
        if (info.maskedKey !== keys[i]) {
          maskedKeys[i] = info.maskedKey;
          changed = true;
        }
      } catch {
        maskedValues[i] = DROPPED; // never export a value we failed to mask
        changed = true;
      }
    }
    if (!changed) return attributes;
    const masked: Attributes = {};
    for (let i = 0; i < keys.length; i++) {
      const value = maskedValues[i];
      if (value !== DROPPED) masked[maskedKeys[i]] = value;
    }
    return masked;
  }

  /**
   * Everything the policy needs to know about an attribute key, in one lookup: keys repeat endlessly
   * (the same dozen on every span), and this runs for every attribute of every span.
   */
  private readonly _keys = new Map<string, KeyInfo>();

  private _keyInfo(key: string): KeyInfo {
    let info = this._keys.get(key);
    if (info === undefined) {
      info = { sensitivity: this._classifier.classify(key), maskedKey: this.maskString(key), addressKind: addressKeyKind(key) };
      if (this._keys.size >= MAX_CACHED_KEYS) this._keys.clear();
      this._keys.set(key, info);
    }
    return info;
  }

  private _maskAttributeValue({ sensitivity, addressKind }: KeyInfo, value: AttributeValue | undefined, isServerSpan: boolean): AttributeValue | undefined {
    const maskAddresses = this._maskAddresses;
    if (maskAddresses !== undefined && (addressKind === 'client' || (addressKind === 'peer' && isServerSpan))) {
      if (typeof value === 'string') return maskAddresses(value);
      // header attributes are string[]
      if (Array.isArray(value))
        return mapArrayIfChanged(value, (element) => (typeof element === 'string' ? maskAddresses(element) : checkedPrimitive(element)));
    }
    if (sensitivity !== 'none') return maskSecretValue(value, sensitivity);
    if (typeof value === 'string') return this.maskString(value);
    if (typeof value === 'number') return this._maskNumber(value);
    if (Array.isArray(value)) {
      return mapArrayIfChanged(value, (element) =>
        typeof element === 'string' ? this.maskString(element) : typeof element === 'number' ? this._maskNumber(element) : checkedPrimitive(element),
      );
    }
    return checkedPrimitive(value);
  }

  /**
   * A number under a neutral key (`setAttribute('payment.pan', 4111111111111111)`): one of 12 digits or
   * more is read as text, and if that text is a card (or another format) its masked text is exported
   * instead. Smaller numbers (counts, ports, sizes, amounts) cannot hold a card or a phone.
   */
  private _maskNumber(value: number): number | string {
    if (!(value >= MIN_MASKED_NUMBER || value <= -MIN_MASKED_NUMBER) || !Number.isInteger(value)) return value;
    const text = value.toFixed(0);
    const masked = this.maskString(text);
    return masked === text ? value : masked;
  }

  /**
   * The first 64 KiB, masked exactly like a shorter value (the percent-decoding pass included: without
   * it, an encoded phone or a double-encoded email in a long message was exported as it was).
   */
  private _maskTruncated(value: string, depth: number): string {
    let cut = MAX_MASKED_LENGTH;
    for (let i = cut; i > MAX_MASKED_LENGTH - CUT_LOOKBACK; i--) {
      if (isCutPoint(value.charCodeAt(i - 1))) {
        cut = i;
        break;
      }
    }
    const code = value.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) cut--; // keep a surrogate pair whole
    const head = value.slice(0, cut);
    return this._maskText(head, depth) + `…[truncated ${value.length - cut} chars]`;
  }
}

/** The whole value of a sensitive key; booleans and nullish values carry nothing secret and stay. */
function maskSecretValue(value: AttributeValue | undefined, sensitivity: KeySensitivity): AttributeValue | undefined {
  if (typeof value === 'string') return maskSecretString(value, sensitivity);
  if (typeof value === 'number') return MASK;
  if (Array.isArray(value)) {
    return mapArrayIfChanged(value, (element) =>
      typeof element === 'string' ? maskSecretString(element, sensitivity) : typeof element === 'number' ? MASK : checkedPrimitive(element),
    );
  }
  return checkedPrimitive(value);
}

function maskSecretString(value: string, sensitivity: KeySensitivity): string {
  if (value === '' || value === MASK) return value;
  if (sensitivity === 'credentials') {
    const scheme = AUTH_SCHEME_PREFIX.exec(value);
    if (scheme !== null) return scheme[0] + MASK;
  }
  return MASK;
}

/** Attribute values are primitives or arrays of them; anything else cannot be masked and is dropped by the caller. */
function checkedPrimitive<T>(value: T): T {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  throw new TypeError(`unsupported attribute value of type ${typeof value}`);
}

type ArrayElement = string | number | boolean | null | undefined;

/** The same array when no element changed, so an unchanged attribute set stays the same object. */
function mapArrayIfChanged(values: readonly ArrayElement[], mask: (value: ArrayElement) => ArrayElement): AttributeValue {
  let out: ArrayElement[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const masked = mask(values[i]);
    if (out === undefined && masked === values[i]) continue;
    out ??= values.slice(0, i);
    out.push(masked);
  }
  return (out ?? values) as AttributeValue;
}

const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;
const PERCENT_ESCAPES = /%[0-9A-Fa-f]{2}/g;
/** Double encoding (`%2540`) is common when a URL is embedded in another URL's query. */
const MAX_DECODE_DEPTH = 3;

/** URL and text delimiters that end an encoded token: / ? & = # ; and whitespace. */
function isTokenSeparator(code: number): boolean {
  return code === 47 || code === 63 || code === 38 || code === 61 || code === 35 || code === 59 || code === 32 || code === 9 || code === 10 || code === 13;
}

/** decodeURIComponent, or byte-wise decoding when the escapes are not valid UTF-8 (never throws). */
export function percentDecodeOnce(token: string): string {
  try {
    return decodeURIComponent(token);
  } catch {
    return token.replace(PERCENT_ESCAPES, (escape) => String.fromCharCode(parseInt(escape.slice(1), 16)));
  }
}

/**
 * Calls `maskDecoded` on the decoded form of every separator-delimited token that contains a
 * percent escape; a token is replaced only when masking changed its decoded form. Linear: each
 * character is visited a bounded number of times (no regex backtracking over long tokens).
 */
export function replaceEncodedTokens(text: string, maskDecoded: (decoded: string) => string): string {
  let out = '';
  let copiedUpTo = 0;
  const escapes = new RegExp(PERCENT_ESCAPES.source, 'g');
  let match: RegExpExecArray | null;
  while ((match = escapes.exec(text)) !== null) {
    let start = match.index;
    while (start > copiedUpTo && !isTokenSeparator(text.charCodeAt(start - 1))) start--;
    let end = match.index + 3;
    while (end < text.length && !isTokenSeparator(text.charCodeAt(end))) end++;
    escapes.lastIndex = end;
    const token = text.slice(start, end);
    const decoded = percentDecodeOnce(token);
    if (decoded === token) continue;
    const masked = maskDecoded(decoded);
    if (masked === decoded) continue;
    out += text.slice(copiedUpTo, start) + masked;
    copiedUpTo = end;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

function isCutPoint(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 44 /* , */ || code === 59 /* ; */ || code === 38; /* & */
}
