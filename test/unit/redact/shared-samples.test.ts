/**
 * The product's PII samples (shared/pii/samples.json): every sensitive sample is masked wherever it
 * may sit in a span (a plain string, an attribute under a neutral key, a URL query, a JSON text), and
 * every harmless sample survives unchanged.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { compileMaskingPolicy } from '../../../src/redact';

interface PiiSamples {
  sensitive: Array<{ kind: string; text: string; forbidden: string[] }>;
  harmless: string[];
}

// __dirname is build/test/unit/redact; shared/ sits beside the repository.
const SAMPLES_PATH = path.resolve(__dirname, '../../../../../shared/pii/samples.json');

function loadSamples(): PiiSamples {
  if (!fs.existsSync(SAMPLES_PATH)) {
    throw new Error(`PII samples not found at ${SAMPLES_PATH}: the masking tests need shared/pii/samples.json next to the repository`);
  }
  return JSON.parse(fs.readFileSync(SAMPLES_PATH, 'utf8')) as PiiSamples;
}

/** What a reader of the exported text could recover: the text itself and its URL-decoded form. */
function readableForms(text: string): string[] {
  try {
    return [text, decodeURIComponent(text.replace(/\+/g, ' '))];
  } catch {
    return [text];
  }
}

function expectNoForbidden(masked: string, forbidden: string[], where: string): void {
  for (const form of readableForms(masked)) {
    for (const secret of forbidden) {
      expect(form, `${where}: ${JSON.stringify(secret)} survived in ${JSON.stringify(masked)}`).not.to.include(secret);
    }
  }
}

describe('redact: shared PII samples', () => {
  const samples = loadSamples();
  const { policy, problems } = compileMaskingPolicy();

  it('compiles the default policy without problems', () => {
    expect(problems).to.deep.equal([]);
    expect(samples.sensitive.length).to.be.greaterThan(0);
    expect(samples.harmless.length).to.be.greaterThan(0);
  });

  for (const sample of samples.sensitive) {
    describe(`${sample.kind}: ${JSON.stringify(sample.text)}`, () => {
      it('is masked by maskString', () => {
        const masked = policy.maskString(sample.text);
        expect(masked).not.to.equal(sample.text);
        expectNoForbidden(masked, sample.forbidden, 'maskString');
      });

      it('is masked as an attribute value under a neutral key', () => {
        const attributes = { 'app.note': sample.text, 'app.notes': ['first', sample.text] };
        const masked = policy.maskAttributes(attributes);
        expect(masked).not.to.equal(attributes);
        expectNoForbidden(masked['app.note'] as string, sample.forbidden, 'attribute');
        expectNoForbidden((masked['app.notes'] as string[])[1], sample.forbidden, 'string[] attribute');
        expect((masked['app.notes'] as string[])[0]).to.equal('first');
      });

      it('is masked inside a URL query', () => {
        const url = `https://shop.example.com/search?q=${encodeURIComponent(sample.text)}&page=2`;
        const masked = policy.maskString(url);
        expectNoForbidden(masked, sample.forbidden, 'URL query');
        expect(masked).to.match(/^https:\/\/shop\.example\.com\/search\?q=/);
        expect(masked).to.match(/&page=2$/);
      });

      it('is masked inside a JSON text, which stays valid JSON', () => {
        const json = JSON.stringify({ level: 'error', message: sample.text, count: 3 });
        const masked = policy.maskString(json);
        expectNoForbidden(masked, sample.forbidden, 'JSON');
        const parsed = JSON.parse(masked) as { level: string; message: string; count: number };
        expect(parsed.level).to.equal('error');
        expect(parsed.count).to.equal(3);
        expectNoForbidden(parsed.message, sample.forbidden, 'JSON message');
      });
    });
  }

  for (const text of samples.harmless) {
    it(`leaves harmless ${JSON.stringify(text)} unchanged (string, attribute, JSON)`, () => {
      expect(policy.maskString(text)).to.equal(text);
      const attributes = { 'app.note': text };
      expect(policy.maskAttributes(attributes)).to.equal(attributes);
      const json = JSON.stringify({ message: text });
      expect(policy.maskString(json)).to.equal(json);
    });
  }
});
