/**
 * The whole corpus (test/fixtures/pii/corpus.js) through the default policy: every sensitive sample in
 * every position a span can hold it leaves nothing of its `forbidden` strings, in any readable form;
 * every harmless string in every position is exported unchanged.
 */
import { expect } from 'chai';
import * as path from 'path';
import { compileMaskingPolicy } from '../../../src/redact';
import { maskTraceState } from '../../../src/redact/mask-span-record';
import { REPO_ROOT } from '../../helpers/paths';

interface Corpus {
  SENSITIVE: Array<{ kind: string; text: string; forbidden: string[] }>;
  HARMLESS: string[];
  POSITIONS: Record<string, (text: string) => string>;
}
const corpus = require(path.join(REPO_ROOT, 'test/fixtures/pii/corpus.js')) as Corpus;

/** The secret as a reader could find it: raw, percent-encoded once or twice, blanks as `+`. */
export function readableForms(secret: string): string[] {
  const once = encodeURIComponent(secret);
  return [...new Set([secret, once, encodeURIComponent(once), once.replace(/%20/g, '+'), secret.replace(/ /g, '+')])];
}

function found(output: string, forbidden: string[]): string | undefined {
  for (const secret of forbidden) for (const form of readableForms(secret)) if (output.includes(form)) return form;
  return undefined;
}

/** A tracestate value is printable ASCII without `,` and `=`: only such samples can reach tracestate at all. */
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

describe('redact: the PII corpus', () => {
  const { policy } = compileMaskingPolicy();

  it('has at least 300 sensitive samples and 1,000 harmless strings, in every category', () => {
    expect(corpus.SENSITIVE.length).to.be.at.least(300);
    expect(corpus.HARMLESS.length).to.be.at.least(1000);
    const kinds = new Set(corpus.SENSITIVE.map((sample) => sample.kind.replace(/^shared:/, '')));
    for (const kind of [
      'email',
      'phone-international',
      'phone-national',
      'card',
      'ssn',
      'iban',
      'jwt',
      'aws-access-key',
      'google-api-key',
      'openai-key',
      'key-value',
      'signed-url',
      'oauth-callback',
      'basic-credential',
      'private-key',
    ]) {
      expect(kinds, kind).to.include(kind);
    }
  });

  it('leaves 0 sensitive samples, in every position (text positions, attribute key and value, header value, tracestate)', () => {
    const leaks: string[] = [];
    let checked = 0;
    for (const sample of corpus.SENSITIVE) {
      const report = (where: string, output: string) => {
        checked++;
        const form = found(output, sample.forbidden);
        if (form !== undefined)
          leaks.push(`${sample.kind} ${JSON.stringify(sample.text)} in ${where}: ${JSON.stringify(form)} survived in ${JSON.stringify(output.slice(0, 300))}`);
      };
      for (const [where, place] of Object.entries(corpus.POSITIONS)) report(where, policy.maskString(place(sample.text)));
      const attributes = policy.maskAttributes({ [sample.text]: true, 'app.note': sample.text, 'http.request.header.x-note': [sample.text] });
      report('attribute key', Object.keys(attributes).join('\n'));
      report('attribute value', String(attributes['app.note']));
      report('header attribute', JSON.stringify(attributes['http.request.header.x-note']));
      if (TRACESTATE_VALUE.test(sample.text)) report('tracestate', maskTraceState(policy, `rojo=00f067aa0ba902b7,app=${sample.text}`) ?? '');
    }
    expect(checked).to.be.at.least(corpus.SENSITIVE.length * 12);
    expect(leaks, `${leaks.length} leaks:\n${leaks.slice(0, 40).join('\n')}`).to.deep.equal([]);
  });

  it('changes 0 harmless strings, in every position', () => {
    const changed: string[] = [];
    for (const text of corpus.HARMLESS) {
      for (const [where, place] of Object.entries(corpus.POSITIONS)) {
        const input = place(text);
        const output = policy.maskString(input);
        if (output !== input) changed.push(`${JSON.stringify(text)} in ${where}: ${JSON.stringify(output.slice(0, 200))}`);
      }
      // `true` under the text as a key: a key that names a secret (`invalid password`) masks its value, which is right; the key itself must stay.
      const attributes = { [text]: true, 'app.note': text };
      if (policy.maskAttributes(attributes) !== attributes)
        changed.push(`${JSON.stringify(text)} as attribute key or value: ${JSON.stringify(policy.maskAttributes(attributes))}`);
      if (TRACESTATE_VALUE.test(text) && maskTraceState(policy, `app=${text}`) !== `app=${text}`) changed.push(`${JSON.stringify(text)} in tracestate`);
    }
    expect(changed, `${changed.length} changed:\n${changed.slice(0, 40).join('\n')}`).to.deep.equal([]);
  });
});
