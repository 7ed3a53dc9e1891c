/**
 * Which keys name a secret: attribute keys (`http.request.header.authorization`), `key=value` and
 * `key: value` text, query parameters and JSON properties all go through the same classifier.
 *
 * Approach: a key is split into lowercase words (separators, camelCase and letter/digit boundaries),
 * and it is sensitive when a run of consecutive words, glued together, is a sensitive term
 * (`api` + `key` = `apikey`, so `apiKey`, `API_KEY`, `X-Api-Key` and `apikey` all match). Whole words
 * keep short terms from matching inside unrelated words (`pass` is not in `bypass`, `auth` is not in
 * `author`); a word that merely ends with a long term (`dbpassword`, `authtoken`) still matches.
 *
 * Limitations: a sensitive word followed by a harmless qualifier (`token_count`, `password_length`,
 * `session.duration`) is not sensitive, so LLM token counters and password policies stay readable;
 * the price is that a key literally named like that is not masked. Keys that look like source file
 * names (`token.js`, seen as `token.js:42:13` in stack traces) are never sensitive.
 */
import { escapeRegExp } from '../escape-reg-exp';

export type KeySensitivity =
  /** Not a secret: the value is still scanned by the text detectors. */
  | 'none'
  /** The whole value is a secret. */
  | 'secret'
  /** An Authorization-style credential: the scheme word (`Bearer`, `Basic`) is kept, the rest masked; as a header line it runs to the end of the line. */
  | 'credentials'
  /** A Cookie-style header: as a header line its value runs to the end of the line (`a=1; b=2`). */
  | 'header-line';

/** Terms from the product spec, written as glued lowercase words. */
const BUILT_IN_TERMS = [
  'password',
  'passwd',
  'pwd',
  'pass',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'clientsecret',
  'auth',
  'authorization',
  'session',
  'sessionid',
  'cookie',
  'creditcard',
  'cardnumber',
  'cvv',
  'cvc',
  'ssn',
  'privatekey',
  // Not in the spec's list, but the same kind of value: AWS access keys, SigV4 credentials, raw JWTs.
  'accesskey',
  'credential',
  'credentials',
  'jwt',
  // Signed URLs: Azure SAS `sig`, `X-Amz-Signature`, `X-Goog-Signature`. instrumentation-http redacts
  // these in url.full, instrumentation-undici does not, so fetch CLIENT spans carried a working URL.
  'sig',
  'signature',
];

/** Long enough to be recognised at the end of a glued lowercase word (`dbpassword`, `xsrftoken`). */
const SUFFIX_TERMS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'apikey', 'cookie', 'credential', 'credentials', 'session'];

/** A sensitive word directly followed by one of these describes the secret rather than holding it. */
const HARMLESS_QUALIFIERS = new Set([
  'count',
  'counts',
  'type',
  'types',
  'length',
  'len',
  'size',
  'limit',
  'usage',
  'used',
  'ttl',
  'expires',
  'expiry',
  'expiration',
  'timeout',
  'duration',
  'age',
  'enabled',
  'required',
  'policy',
  'strength',
  'min',
  'max',
  'rotated',
  'changed',
  'updated',
  'status',
  'valid',
  'present',
  // `SignatureVersion=4`, `signature_method=HMAC-SHA1`: how a signature is made, not the signature.
  'version',
  'algorithm',
  'method',
]);

/** Words whose value is a whole header line rather than one token. */
const CREDENTIAL_WORDS = new Set(['authorization']);
const HEADER_LINE_WORDS = new Set(['cookie']);

const SOURCE_FILE_NAME = /\.(?:[cm]?[jt]sx?|json|node|coffee)$/i;

/** Longest run of words glued together when looking for a term (`client` + `secret` + `key`). */
const MAX_WORDS_PER_TERM = 4;

/** Keys repeat endlessly (the same dozen attribute names on every span); values never enter this cache. */
const MAX_CACHED_KEYS = 2048;

export function splitKeyIntoWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([a-zA-Z])([0-9])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

export class SensitiveKeyClassifier {
  private readonly _terms: ReadonlySet<string>;
  private readonly _cache = new Map<string, KeySensitivity>();
  /**
   * Lowercase words that every spelling of some sensitive key contains: where a scan of text for
   * sensitive keys may start.
   */
  readonly hintWords: readonly string[];
  /** Cheap test for "could this text contain a sensitive key at all", so most stack traces skip the key scan. */
  readonly textHint: RegExp;

  constructor(extraKeys: readonly string[] = []) {
    const terms = new Set(BUILT_IN_TERMS);
    const hintWords = new Set(['pass', 'pwd', 'secret', 'token', 'key', 'auth', 'session', 'cookie', 'card', 'cvv', 'cvc', 'ssn', 'credential', 'jwt', 'sig']);
    for (const extraKey of extraKeys) {
      const words = splitKeyIntoWords(extraKey);
      if (words.length === 0) continue;
      terms.add(words.join(''));
      // Every spelling contains each word; the longest is the rarest in ordinary text (`pin`, not `x`, for `x-tenant-pin`).
      hintWords.add(words.reduce((longest, word) => (word.length > longest.length ? word : longest)));
    }
    this._terms = terms;
    this.hintWords = [...hintWords];
    this.textHint = new RegExp(this.hintWords.map(escapeRegExp).join('|'), 'i');
  }

  classify(key: string): KeySensitivity {
    let sensitivity = this._cache.get(key);
    if (sensitivity === undefined) {
      sensitivity = this._classifyUncached(key);
      if (this._cache.size >= MAX_CACHED_KEYS) this._cache.clear();
      this._cache.set(key, sensitivity);
    }
    return sensitivity;
  }

  private _classifyUncached(key: string): KeySensitivity {
    if (SOURCE_FILE_NAME.test(key)) return 'none';
    const words = splitKeyIntoWords(key);
    let sensitivity: KeySensitivity = 'none';
    for (let first = 0; first < words.length; first++) {
      let glued = '';
      for (let last = first; last < words.length && last < first + MAX_WORDS_PER_TERM; last++) {
        glued += words[last];
        const isTerm = this._terms.has(glued) || (first === last && endsWithSuffixTerm(glued));
        if (!isTerm || HARMLESS_QUALIFIERS.has(words[last + 1])) continue;
        // The last sensitive word decides the kind: `x-cookie-auth-token` is a plain secret.
        sensitivity = CREDENTIAL_WORDS.has(words[last]) ? 'credentials' : HEADER_LINE_WORDS.has(words[last]) ? 'header-line' : 'secret';
      }
    }
    return sensitivity;
  }
}

function endsWithSuffixTerm(word: string): boolean {
  for (const term of SUFFIX_TERMS) {
    if (word.length > term.length && word.endsWith(term)) return true;
  }
  return false;
}
