/**
 * TRACING_PII_PATTERNS: accepted patterns mask their matches; invalid and ReDoS-prone ones are
 * reported with one line each and skipped; no accepted pattern can make masking slow.
 */
import { expect } from 'chai';
import { compileMaskingPolicy } from '../../../src/redact';
import { MAX_STEPS_PER_START, analyseUserPattern } from '../../../src/redact/user-patterns';

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
    ['(a+)+', 'nested quantifier'],
    ['(.*)*', 'nested quantifier'],
    ['(a|aa)+', 'alternation inside a repeated group'],
    ['(\\w+\\s?)*$', 'nested quantifier'],
    ['(x+x+)+y', 'nested quantifier'],
    ['\\w+\\w+x', 'too many overlapping repeats'],
    ['(a)\\1+', 'backreference'],
  ]) {
    it(`rejects the ReDoS-prone ${source}`, () => {
      const { policy, problems } = compileMaskingPolicy({ extraPatterns: [source] });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.equal(`otel-agent: TRACING_PII_PATTERNS pattern #1 "${source}" may backtrack catastrophically (${reason}); skipped`);
      expect(policy.maskString('aaaa')).to.equal('aaaa');
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

  it('accepts bounded look-alikes of dangerous shapes', () => {
    for (const source of ['(?:\\d{3}-){2}\\d{4}', '[A-Z]+-\\d+', '[a-z]+[0-9]+x', 'secret_\\w+', '\\bID\\d{4,8}\\b', '(?:foo|bar)baz']) {
      const verdict = analyseUserPattern(source);
      expect(verdict, source).to.have.property('boundedSource');
    }
  });

  it('bounds open-ended repeats in the compiled pattern', () => {
    expect(analyseUserPattern('secret_\\w+x*')).to.include({ boundedSource: 'secret_\\w{1,256}x{0,255}' });
    expect(analyseUserPattern('a{2,}?b')).to.include({ boundedSource: 'a{2,257}?b' });
  });

  it('never inserts masks for empty matches', () => {
    const { policy } = compileMaskingPolicy({ extraPatterns: ['x*'] });
    expect(policy.maskString('abc xx d')).to.equal('abc *** d');
  });

  describe('cost bound', () => {
    const HUNDRED_KB = 100 * 1024;
    const hostileInputs = {
      'a repeated': 'a'.repeat(HUNDRED_KB),
      'digits': '1'.repeat(HUNDRED_KB),
      'words': 'lorem ipsum dolor sit amet '.repeat(HUNDRED_KB / 27 + 1).slice(0, HUNDRED_KB),
      'blanks': ' '.repeat(HUNDRED_KB),
    };
    // The worst shapes that are still accepted: quadratic without the bounds.
    const acceptedPatterns = ['\\w+x', '[^x]+x', '.*secret.*', '(?=\\w+x)\\w', '\\s*x', '[a-z]{1,40}[a-z]{1,40}x', '\\w{1,2000}x'];

    for (const source of acceptedPatterns) {
      it(`masks 100 KB in < 100 ms with the accepted pattern ${source}`, () => {
        const { policy, problems } = compileMaskingPolicy({ extraPatterns: [source] });
        expect(problems).to.deep.equal([]);
        for (const [name, text] of Object.entries(hostileInputs)) {
          // Best of three: a bound on the work done, not on how busy the machine is.
          let fastestMs = Infinity;
          for (let run = 0; run < 3; run++) {
            const started = process.hrtime.bigint();
            policy.maskString(text);
            fastestMs = Math.min(fastestMs, Number(process.hrtime.bigint() - started) / 1e6);
          }
          expect(fastestMs, `${source} on ${name}`).to.be.below(100);
        }
      });
    }

    it(`rejects every pattern whose estimated steps per position exceed ${MAX_STEPS_PER_START}`, () => {
      expect(analyseUserPattern('.{0,5000}x')).to.have.property('rejected');
      expect(analyseUserPattern('a{1,100000}')).to.have.property('rejected');
    });
  });
});
