/**
 * Percent-encoded text (URL paths, queries, double-encoded query values) is masked like plain text.
 * Regression: `%20AKIA...` or `alice%40example.com` slipped past the detectors' word boundaries.
 */
import { expect } from 'chai';
import { compileMaskingPolicy } from '../../../src/redact';
import { percentDecodeOnce, replaceEncodedTokens } from '../../../src/redact/compile-policy';

describe('redact: percent-encoded text', () => {
  const { policy } = compileMaskingPolicy();

  const cases: [string, string[]][] = [
    ['/path/using%20key%20AKIAIOSFODNN7EXAMPLE', ['AKIAIOSFODNN7EXAMPLE']],
    ['/path/call%20415-555-0199', ['415-555-0199']],
    ['/path/SSN%20123-45-6789%20on%20file', ['123-45-6789']],
    ['http://127.0.0.1:1/ok?note=%2Fapi%2Freset%3Femail%3Dcarol%2540example.com%26token%3Dabcdef0123456789', ['carol', 'abcdef0123456789']],
    ['/path/4111%201111%201111%201111', ['4111%201111', '4111 1111']],
    ['/path/%7B%22password%22%3A%22Tr0ub4dor%263%22%7D', ['Tr0ub4dor']],
  ];
  for (const [input, forbidden] of cases) {
    it(`masks ${input}`, () => {
      const masked = policy.maskString(input);
      for (const text of forbidden) expect(masked).not.to.include(text);
      expect(masked).to.include('***');
    });
  }

  for (const harmless of ['/api/orders/ORD-2024-000123%20returned', '/search?q=total%2012.50%20EUR', '/trace/4bf92f3577b34da6a3ce929d0e0e4736%20x']) {
    it(`leaves ${harmless} unchanged (same string)`, () => {
      expect(policy.maskString(harmless)).to.equal(harmless);
    });
  }

  it('decodes byte-wise when the escapes are not valid UTF-8', () => {
    expect(percentDecodeOnce('a%2540b')).to.equal('a%40b');
    expect(percentDecodeOnce('%E0%A4%41')).to.equal('\u00e0\u00a4A');
  });

  it('replaces only the tokens whose decoded form masking changed, keeping separators', () => {
    const seen: string[] = [];
    const out = replaceEncodedTokens('/a%20b/c%20secret?x=1&y=%41', (decoded) => {
      seen.push(decoded);
      return decoded.includes('secret') ? decoded.replace('secret', '***') : decoded;
    });
    expect(seen).to.deep.equal(['a b', 'c secret', 'A']);
    expect(out).to.equal('/a%20b/c ***?x=1&y=%41');
  });

  it('stays linear on a long token with a single escape', () => {
    const long = 'x'.repeat(60_000) + '%41';
    const started = process.hrtime.bigint();
    policy.maskString(long);
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.below(100);
  });
});
