/**
 * TRACING_PII_PATTERNS: accepted patterns mask their matches; invalid ones and those the linear-time
 * engine (re2js) cannot run are reported with one line each and skipped; no pattern can make masking slow.
 */
import { expect } from 'chai';
import { compileMaskingPolicy } from '../../../src/redact';

describe('redact: user patterns', () => {
  it('masks matches of accepted patterns with ***', () => {
    const { policy, problems } = compileMaskingPolicy({ extraPatterns: ['EMP-\\d{6}', 'acct_[0-9a-f]{8}'] });
    expect(problems).to.deep.equal([]);
    expect(policy.maskString('employee EMP-123456 on acct_deadbeef')).to.equal('employee *** on ***');
    expect(policy.maskString('EMP-12345 is too short')).to.equal('EMP-12345 is too short');
  });

  it('reports an invalid pattern with its position and source, and skips it', () => {
    const { policy, problems } = compileMaskingPolicy({ extraPatterns: ['EMP-\\d{6}', '([a-z'] });
    expect(problems).to.deep.equal(['otel-agent: TRACING_PII_PATTERNS pattern #2 "([a-z" invalid regex; skipped']);
    expect(policy.maskString('EMP-123456')).to.equal('***');
  });

  for (const [source, reason] of [
    ['(a)\\1+', 'invalid escape sequence: `\\1`'],
    ['(?=\\w+x)\\w', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(?<!a)b', 'invalid named capture: `(?<!a)b`'],
    ['\\w{1,2000}x', 'invalid repeat count: `{1,2000}`'],
  ]) {
    it(`rejects ${source}, which the linear-time engine cannot run, with one line`, () => {
      const { policy, problems } = compileMaskingPolicy({ extraPatterns: [source] });
      expect(problems).to.deep.equal([
        `otel-agent: TRACING_PII_PATTERNS pattern #1 "${source}" cannot run in linear time (${reason}: backreferences, lookaround and repeats above 1000 are not supported); skipped`,
      ]);
      expect(policy.maskString('aaaa bx')).to.equal('aaaa bx');
    });
  }

  it('keeps the problem line on one line whatever the pattern holds', () => {
    const { problems } = compileMaskingPolicy({ extraPatterns: ['("\n'] });
    expect(problems).to.deep.equal(['otel-agent: TRACING_PII_PATTERNS pattern #1 "(\\"\\u000a" invalid regex; skipped']);
  });

  it('skips blank patterns silently (blank means unset)', () => {
    const { problems } = compileMaskingPolicy({ extraPatterns: ['', '   '] });
    expect(problems).to.deep.equal([]);
  });

  it('accepts the ReDoS shapes the backtracking analyser had to reject, and masks with them', () => {
    const sources = ['(a+)+', '(.*)*', '(a|aa)+', '(\\w+\\s?)*$', '(x+x+)+y', '\\w+\\w+x', '(?:foo|bar)+baz'];
    expect(compileMaskingPolicy({ extraPatterns: sources }).problems).to.deep.equal([]);
    const { policy } = compileMaskingPolicy({ extraPatterns: ['(x+x+)+y', '(?:foo|bar)+baz'] });
    expect(policy.maskString('xxy and foobarbaz')).to.equal('*** and ***');
  });

  it('translates JavaScript syntax that RE2 spells differently', () => {
    const { policy, problems } = compileMaskingPolicy({ extraPatterns: ['(?<id>EMP)-\\d{6}', '\\/v\\d\\/key_\\u0041\\w{4}'] });
    expect(problems).to.deep.equal([]);
    expect(policy.maskString('EMP-123456 /v1/key_Aabcd')).to.equal('*** ***');
  });

  it('masks matches anywhere in a long value, not only in a scanned prefix', () => {
    const { policy } = compileMaskingPolicy({ extraPatterns: ['secret_\\w+'] });
    const masked = policy.maskString(`${'lorem ipsum '.repeat(4000)}secret_${'a'.repeat(1000)} end`);
    expect(masked.endsWith(' *** end'), masked.slice(-40)).to.equal(true);
  });

  it('never inserts masks for empty matches', () => {
    const { policy } = compileMaskingPolicy({ extraPatterns: ['x*'] });
    expect(policy.maskString('abc xx d')).to.equal('abc *** d');
  });

  describe('cost bound', function () {
    // The bound is the engine's (RE2: time linear in the input), not a measured one: these shapes take
    // seconds to minutes in V8's backtracking engine on 64 KiB (the longest value masked), and a hang
    // here shows as this suite's timeout. No timing is asserted.
    this.timeout(30_000);
    const SIXTY_FOUR_KB = 64 * 1024;
    const hostileInputs = {
      'a repeated': 'a'.repeat(SIXTY_FOUR_KB),
      digits: '1'.repeat(SIXTY_FOUR_KB),
      words: 'lorem ipsum dolor sit amet '.repeat(SIXTY_FOUR_KB / 27 + 1).slice(0, SIXTY_FOUR_KB),
      blanks: ' '.repeat(SIXTY_FOUR_KB),
    };
    const hostilePatterns = ['(a+)+$', '\\w+\\w+x', '[^x]+x', '.*secret.*', '(\\w+\\s?)*$', '\\s*x', '[a-z]{1,40}[a-z]{1,40}x'];

    it('masks 64 KiB hostile values with patterns that are exponential or polynomial under backtracking', () => {
      const { policy, problems } = compileMaskingPolicy({ extraPatterns: hostilePatterns });
      expect(problems).to.deep.equal([]);
      for (const text of Object.values(hostileInputs)) policy.maskString(text);
      expect(policy.maskString('a'.repeat(SIXTY_FOUR_KB))).to.equal('***');
    });
  });
});
