/**
 * Phone numbers in free text: international (`+49 151 12345678`, `0049 30 12345678`, `+4915112345678`),
 * national with a trunk 0 (UK `020 7946 0958`, `07700 900123`; DE `030 12345678`, `0151 12345678`;
 * FR `06 12 34 56 78`) and North American (`(415) 555-0132`). All become `***-***-` + the last 4 digits.
 *
 * Why hand-written rules and not libphonenumber-js (measured here, Node 20, libphonenumber-js 1.13.16):
 * - cost: `findPhoneNumbersInText` takes 50-100 µs per string (min metadata, with or without a default
 *   country), against a masking budget of ~2 µs per repeated span and ~9 µs per new one; it would
 *   multiply the per-span cost by 10-50 even behind a pre-check, since most messages contain digits;
 * - false positives: with a default country (needed for national formats) it finds `127.0.0.1`,
 *   `120.0.0.0` in a user agent, `12.50` prices, ZIP codes, lat/long and 13-digit epoch ms (DE);
 *   without one it finds only what starts with `+`, which these rules already cover;
 * - load: 40-50 ms to require in the worker (cold), ~150 KB of metadata.
 * What we take from it: a number is only a number with a valid country calling code and a national
 * length that country uses (its metadata's possible lengths, kept here for the codes in common use).
 *
 * Every regex is linear: groups are separated by a character they cannot match, and nothing follows
 * the last group, so a greedy match never backtracks into them.
 */
import { type Detector, regExpDetector } from './detector';
import { DIGIT_RUN_4, hasInternationalPrefix, hasTrunkPrefix } from './text-features';

const PHONE_MASK_PREFIX = '***-***-';

/** ITU-T E.164 country calling codes in service (2024), as ranges of 1-3 digit strings. */
const COUNTRY_CODES: ReadonlySet<string> = new Set(
  [
    '1',
    '7',
    '20',
    '27',
    '30-34',
    '36',
    '39',
    '40',
    '41',
    '43-49',
    '51-58',
    '60-66',
    '81',
    '82',
    '84',
    '86',
    '90-95',
    '98',
    '211',
    '212',
    '213',
    '216',
    '218',
    '220-258',
    '260-269',
    '290',
    '291',
    '297-299',
    '350-359',
    '370-378',
    '380-383',
    '385-387',
    '389',
    '420',
    '421',
    '423',
    '500-509',
    '590-599',
    '670',
    '672-692',
    '800',
    '808',
    '850',
    '852',
    '853',
    '855',
    '856',
    '870',
    '878',
    '880-883',
    '886',
    '888',
    '960-968',
    '970-977',
    '979',
    '992-998',
  ].flatMap((range) => {
    const [from, to = from] = range.split('-');
    const codes: string[] = [];
    for (let code = Number(from); code <= Number(to); code++) codes.push(String(code));
    return codes;
  }),
);

/**
 * National significant number lengths [min, max] (libphonenumber's possible lengths, rounded out) for
 * the codes in common use; other codes accept 6 to 12. Only used for numbers written without any
 * separator (`+4915112345678`), where nothing else tells a phone from a counter (`+12345678 bytes`).
 */
const NATIONAL_LENGTHS: Readonly<Record<string, readonly [number, number]>> = {
  '1': [10, 10],
  '7': [10, 10],
  '20': [8, 10],
  '27': [9, 9],
  '30': [10, 10],
  '31': [9, 9],
  '32': [8, 9],
  '33': [9, 9],
  '34': [9, 9],
  '36': [8, 9],
  '39': [6, 11],
  '40': [9, 9],
  '41': [9, 9],
  '43': [7, 13],
  '44': [9, 10],
  '45': [8, 8],
  '46': [7, 10],
  '47': [8, 8],
  '48': [9, 9],
  '49': [7, 13],
  '51': [8, 9],
  '52': [10, 10],
  '53': [8, 8],
  '54': [10, 11],
  '55': [10, 11],
  '56': [9, 9],
  '57': [10, 10],
  '58': [10, 10],
  '60': [8, 10],
  '61': [9, 9],
  '62': [8, 12],
  '63': [8, 10],
  '64': [8, 10],
  '65': [8, 8],
  '66': [8, 9],
  '81': [9, 10],
  '82': [8, 10],
  '84': [9, 10],
  '86': [10, 11],
  '90': [10, 10],
  '91': [10, 10],
  '92': [9, 10],
  '93': [9, 9],
  '94': [9, 9],
  '95': [8, 10],
  '98': [10, 10],
};
const OTHER_NATIONAL_LENGTH: readonly [number, number] = [6, 12];

/** NANP: area code and exchange start with 2-9. */
const NANP_NATIONAL = /^[2-9]\d{2}[2-9]\d{6}$/;

function isPlausibleCompactNumber(digits: string): boolean {
  for (let ccLength = 1; ccLength <= 3; ccLength++) {
    const cc = digits.slice(0, ccLength);
    if (!COUNTRY_CODES.has(cc)) continue;
    const national = digits.slice(ccLength);
    // E.164 national numbers never start with the trunk 0 (Italy's landlines excepted).
    if (national[0] === '0' && cc !== '39') return false;
    if (cc === '1') return NANP_NATIONAL.test(national);
    const [min, max] = NATIONAL_LENGTHS[cc] ?? OTHER_NATIONAL_LENGTH;
    return national.length >= min && national.length <= max;
  }
  return false;
}

/**
 * `+` or the international prefix `00`, a country code, then digit groups (up to 12 digits each: `+91
 * 9876543210`, `+49 151 12345678`) separated by a blank, dot, dash or slash, or a parenthesised
 * group (`+44 (0)20 7946 0958`, `+1 (415) 555-0132`). 8 to 15 digits in all; trailing groups that would
 * push past 15 are not part of the number.
 */
export const internationalPhoneDetector = regExpDetector({
  name: 'international-phone',
  trigger: hasInternationalPrefix,
  regex: /(?<![\w+.])(?:\+|00(?=[1-9]))\d{1,15}(?:[ .-]?\(\d{1,5}\)[ .-]?\d{0,12}|[ ./-]\d{1,12}){0,7}/g,
  replace: (match: string, offset: number, text: string) => maskInternationalPhone(match, text.charCodeAt(offset + match.length)),
});
const PHONE_GROUP = /\+?\d+|[ .-]?\(\d+\)[ .-]?\d*|[ ./-]\d+/g;

/** "+" and 8 digits: anything shorter (`+1`, `+05:30`) is decided without parsing. */
const MIN_INTERNATIONAL_PHONE_LENGTH = 9;

function maskInternationalPhone(match: string, nextCharCode: number): string {
  if (match.length < MIN_INTERNATIONAL_PHONE_LENGTH) return match;
  const prefixLength = match[0] === '+' ? 1 : 2;
  let digits = '';
  let numberLength = 0;
  let groups = 0;
  let firstGroupDigits = 0;
  for (const group of match.slice(prefixLength).match(PHONE_GROUP) ?? []) {
    const groupDigits = group.replace(/\D/g, '');
    if (digits.length + groupDigits.length > 15) break;
    if (groups === 0) firstGroupDigits = groupDigits.length;
    digits += groupDigits;
    numberLength += group.length;
    groups++;
  }
  numberLength += prefixLength;
  // Glued to more letters or digits (`+123456789012345678`, `+49151abc`), it is some other identifier.
  const endsCleanly = numberLength < match.length || !isWordCharCode(nextCharCode);
  if (digits.length < 8 || !endsCleanly) return match;
  // Written in groups, the first group is the country code (`+44 20 ...`); written in one run, the run
  // must split into a country code and a national number of a length that country uses.
  const plausible = groups > 1 && firstGroupDigits <= 3 ? COUNTRY_CODES.has(digits.slice(0, firstGroupDigits)) : isPlausibleCompactNumber(digits);
  if (!plausible) return match;
  return PHONE_MASK_PREFIX + digits.slice(-4) + match.slice(numberLength);
}

/**
 * National numbers with a trunk 0, as written in the UK, Germany and most of Europe: an area or
 * mobile prefix `0` + 2-5 digits (or in parentheses, `(030) 12345678`), then 1-3 groups separated by a
 * blank, dash or slash, 10 to 12 digits in all: `020 7946 0958`, `07700 900123`, `030 12345678`,
 * `0151 12345678`, `030/1234-5678`. And the French five pairs `06 12 34 56 78`. A bare run of digits is
 * not matched (as likely an id), nor a group that follows `.`, `-`, `+` or a word character (versions,
 * SKUs, decimals).
 */
export const nationalTrunkPhoneDetector = regExpDetector({
  name: 'national-trunk-phone',
  trigger: hasTrunkPrefix,
  regex: /(?<![\w.+-])(?:0[1-9]\d{1,4}|\(0[1-9]\d{1,4}\))(?:[ /-]\d{2,8}){1,3}(?![\w-]|\.\d)|(?<![\w.+-])0[1-9](?:[ .]\d{2}){4}(?![\w.-])/g,
  replace: maskNationalPhone,
});

function maskNationalPhone(match: string): string {
  const digits = match.replace(/\D/g, '');
  if (digits.length < 10 || digits.length > 12) return match;
  return PHONE_MASK_PREFIX + digits.slice(-4);
}

function isWordCharCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

/**
 * North American numbers without "+": `415-555-0199`, `(415) 555-0132`, `1-415-555-0199`,
 * `415.555.0199`. Separators are required (a bare 10-digit run is as likely an id), and area code
 * and exchange start with 2-9 as NANP requires.
 */
export const northAmericanPhoneDetector: Detector = regExpDetector({
  name: 'north-american-phone',
  requires: DIGIT_RUN_4,
  regex: /(?<![\w.+-])(?:1[ .-]?)?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-](\d{4})(?![\w-])/g,
  replace: (_match, lastFour: string) => PHONE_MASK_PREFIX + lastFour,
});
