/** The number and time formatting that the text and the HTML report share (src/report/format.ts). */
import { expect } from 'chai';
import { dateOfUnixNano, formatPercent, msDigits, parseUnixNano } from '../../../src/report/format';
import { formatMs, formatTime } from '../../../src/report/render-text';

describe('report: shared formatting', () => {
  it('shows durations with three significant digits or more', () => {
    expect([1234.5, 123.4, 12.345, 1.2345, 0].map(msDigits)).to.deep.equal(['1235', '123', '12.3', '1.23', '0.00']);
    expect(formatMs(Number.NaN)).to.equal('-');
  });

  it('keeps two decimals for rates under 0.1%, in the text report too (it printed 0.0%)', () => {
    expect([0, 0.0004, 0.25, 1].map(formatPercent)).to.deep.equal(['0.0%', '0.04%', '25.0%', '100.0%']);
  });

  it('reads Unix nanoseconds exactly and rejects what is not a plain decimal', () => {
    expect(parseUnixNano('1764593312834999999')).to.equal(1764593312834999999n);
    for (const garbage of ['', '-1', '1e18', '0x10', '12.5']) expect(parseUnixNano(garbage), garbage).to.equal(undefined);
    // 999999 ns into a millisecond is still that millisecond (a double would round it up).
    expect(dateOfUnixNano('1764593312834999999')?.toISOString()).to.equal('2025-12-01T12:48:32.834Z');
    expect(formatTime('1764593312834999999')).to.equal('2025-12-01T12:48:32.834Z');
    expect(formatTime('0')).to.equal('-');
    expect(formatTime('garbage')).to.equal('-');
  });
});
