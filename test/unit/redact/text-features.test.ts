/**
 * text-features.ts lets runDetectors skip a detector when a fact it `requires` is false. That is only
 * correct if the fact holds for every text the detector changes, and if the hand-written scans match
 * the regexes they stand for. Both are checked here on the whole PII corpus, in every position, plus
 * the harmless strings and generated near-misses, so a detector whose regex grows beyond its facts
 * fails here before a sample leaks.
 */
import { expect } from 'chai';
import * as path from 'path';
import type { Detector } from '../../../src/redact/detector';
import * as detectors from '../../../src/redact/detectors';
import * as phoneDetectors from '../../../src/redact/phone-detectors';
import {
  DIGIT_RUN_4,
  HAS_AT,
  HAS_CAPITAL_J,
  HAS_COLON,
  HAS_DASH,
  HAS_EQUALS,
  HAS_UNDERSCORE,
  TextFacts,
  hasInternationalPrefix,
  hasTrunkPrefix,
} from '../../../src/redact/text-features';
import { REPO_ROOT } from '../../helpers/paths';

interface Corpus {
  SENSITIVE: Array<{ kind: string; text: string }>;
  HARMLESS: string[];
  POSITIONS: Record<string, (text: string) => string>;
}

const corpus = require(path.join(REPO_ROOT, 'test/fixtures/pii/corpus.js')) as Corpus;

function allDetectors(): Detector[] {
  const found: Detector[] = [];
  for (const value of [...Object.values(detectors), ...Object.values(phoneDetectors)]) {
    const candidates = Array.isArray(value) ? value : [value];
    for (const candidate of candidates) {
      if (candidate !== null && typeof candidate === 'object' && typeof (candidate as Detector).mightMatch === 'function') found.push(candidate as Detector);
    }
  }
  return found;
}

/** Near-misses around the facts' edges: digits glued to words, zeros inside numbers, `+` before letters. */
function edgeCases(): string[] {
  const out: string[] = [];
  for (const before of ['', ' ', 'x', '.', '-', '+', '(', '/', '=']) {
    for (const number of [
      '030 12345678',
      '+49 151 12345678',
      '0049 30 12345678',
      '100042',
      '+1 415 555 0132',
      '06 12 34 56 78',
      '(030) 1234 5678',
      '415-555-0132',
      '4111 1111 1111 1111',
    ]) {
      out.push(`${before}${number}`, `call ${before}${number} now`);
    }
  }
  return out;
}

const TEXTS: string[] = (() => {
  const texts = new Set<string>([...corpus.HARMLESS, ...edgeCases()]);
  for (const sample of corpus.SENSITIVE) {
    texts.add(sample.text);
    for (const position of Object.values(corpus.POSITIONS)) texts.add(position(sample.text));
  }
  return [...texts];
})();

const FACTS: Record<string, number> = { DIGIT_RUN_4, HAS_AT, HAS_DASH, HAS_UNDERSCORE, HAS_EQUALS, HAS_COLON, HAS_CAPITAL_J };

describe('text facts (redact/text-features.ts)', () => {
  it('uses a corpus large enough to mean something', () => {
    expect(TEXTS.length).to.be.greaterThan(3000);
  });

  it('every detector that declares facts changes only texts where they hold', () => {
    const withFacts = allDetectors().filter((detector) => detector.requires !== undefined);
    expect(withFacts.map((detector) => detector.name)).to.include.members(['payment-card', 'north-american-phone', 'jwt', 'us-ssn', 'url-userinfo-password']);
    const violations: string[] = [];
    let changed = 0;
    for (const detector of withFacts) {
      for (const text of TEXTS) {
        if (!detector.mightMatch(text) || detector.mask(text) === text) continue;
        changed++;
        if (!new TextFacts(text).hold(detector.requires as number)) violations.push(`${detector.name}: ${JSON.stringify(text)}`);
      }
    }
    expect(changed, 'the detectors change some corpus texts').to.be.greaterThan(500);
    expect(violations).to.deep.equal([]);
  });

  it('each fact is what its regex or substring says', () => {
    const expected: Record<string, (text: string) => boolean> = {
      DIGIT_RUN_4: (text) => /\d{4}/.test(text),
      HAS_AT: (text) => text.includes('@'),
      HAS_DASH: (text) => text.includes('-'),
      HAS_UNDERSCORE: (text) => text.includes('_'),
      HAS_EQUALS: (text) => text.includes('='),
      HAS_COLON: (text) => text.includes(':'),
      HAS_CAPITAL_J: (text) => text.includes('J'),
    };
    for (const text of TEXTS) {
      for (const [name, fact] of Object.entries(FACTS)) {
        expect(new TextFacts(text).hold(fact), `${name} of ${JSON.stringify(text)}`).to.equal(expected[name](text));
      }
    }
  });

  it('answers several facts at once, and only what it is asked', () => {
    const facts = new TextFacts('user_id=42 at 2026-12-01');
    expect(facts.hold(HAS_UNDERSCORE | HAS_EQUALS | DIGIT_RUN_4 | HAS_DASH)).to.equal(true);
    expect(facts.hold(HAS_UNDERSCORE | HAS_AT)).to.equal(false);
    expect(facts.hold(0)).to.equal(true);
  });

  it('hasTrunkPrefix is the national phone regex prefix, without the regex', () => {
    const prefix = /(?:^|[^\w.+-])\(?0[1-9]/;
    for (const text of TEXTS) expect(hasTrunkPrefix(text), JSON.stringify(text)).to.equal(prefix.test(text));
  });

  it('hasInternationalPrefix holds wherever the international phone regex can start', () => {
    const start = /(?<![\w+.])(?:\+\d|00[1-9])/;
    for (const text of TEXTS) expect(hasInternationalPrefix(text), JSON.stringify(text)).to.equal(start.test(text));
    expect(hasInternationalPrefix('order 100042')).to.equal(false);
    expect(hasInternationalPrefix('call 0049 30 12345678')).to.equal(true);
    expect(hasInternationalPrefix('heap +12')).to.equal(true);
    expect(hasInternationalPrefix('a+b')).to.equal(false);
  });
});
