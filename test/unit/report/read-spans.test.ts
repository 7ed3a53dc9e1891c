import * as fs from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { expect } from 'chai';
import { compareNanos, forEachLine, isGzipFile, parseSpanLine, peekTraceId } from '../../../src/report/read-spans';
import { buildReport } from '../../../src/report/build-report';
import { lineOf, spanIdOf, TempDir, traceIdOf } from './spans';

async function linesOf(file: string): Promise<{ lines: string[]; failure?: string }> {
  const lines: string[] = [];
  const result = await forEachLine(file, (line) => lines.push(line));
  return { lines, ...result };
}

describe('report input reading', () => {
  let dir: TempDir;
  beforeEach(() => (dir = new TempDir()));
  afterEach(() => dir.remove());

  it('splits lines across chunk boundaries, skips blank lines, keeps a last line without newline', async () => {
    const long = 'x'.repeat(200_000);
    const file = path.join(dir.root, 'lines.jsonl');
    fs.writeFileSync(file, `a\n\n${long}\nb\r\nlast`);
    expect((await linesOf(file)).lines).to.deep.equal(['a', long, 'b\r', 'last']);
  });

  it('keeps multi-byte characters split between chunks whole', async () => {
    const text = 'é'.repeat(100_000);
    const file = path.join(dir.root, 'utf8.jsonl');
    fs.writeFileSync(file, `${text}\n`);
    expect((await linesOf(file)).lines).to.deep.equal([text]);
  });

  it('detects gzip by its magic bytes, not its name', () => {
    const gz = path.join(dir.root, 'plain-name.jsonl');
    fs.writeFileSync(gz, gzipSync('{}\n'));
    const plain = path.join(dir.root, 'looks-zipped.gz');
    fs.writeFileSync(plain, '{}\n');
    expect(isGzipFile(gz)).to.equal(true);
    expect(isGzipFile(plain)).to.equal(false);
  });

  it('a truncated gzip file yields its lines up to the cut, then a failure instead of a throw', async () => {
    const lines = Array.from({ length: 2000 }, (_, n) =>
      lineOf({ traceId: traceIdOf(n + 1), spanId: spanIdOf(1), service: 'web', kind: 'SERVER', route: '/x' }),
    );
    const whole = gzipSync(lines.join('\n') + '\n');
    const file = path.join(dir.root, 'cut.jsonl.gz');
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const read = await linesOf(file);
    expect(read.failure).to.match(/unexpected end of file/);
    expect(read.lines.length).to.be.within(1, 1999);
    const report = await buildReport([file]);
    expect(report.input.spans + report.input.badLines).to.equal(read.lines.length);
    expect(report.readFailures).to.have.length(1);
  });

  it('parseSpanLine accepts exporter lines and refuses other JSON', () => {
    const line = lineOf({ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'web' });
    expect(parseSpanLine(line)?.traceId).to.equal(traceIdOf(1));
    const { kind: _kind, ...noKind } = JSON.parse(line);
    for (const bad of [
      '{',
      '42',
      'null',
      '{"traceId":"a"}',
      JSON.stringify(noKind),
      JSON.stringify({ ...JSON.parse(line), kind: 'WEIRD' }),
      JSON.stringify({ ...JSON.parse(line), durationMs: '5' }),
    ]) {
      expect(parseSpanLine(bad), bad).to.equal(undefined);
    }
  });

  it('peekTraceId reads the id without parsing, wherever the key is', () => {
    expect(peekTraceId(lineOf({ traceId: traceIdOf(7), spanId: spanIdOf(1), service: 'web' }))).to.equal(traceIdOf(7));
    expect(peekTraceId('{"spanId":"1","traceId":"abc"}')).to.equal('abc');
    expect(peekTraceId('garbage')).to.equal(undefined);
  });

  it('compareNanos orders decimal strings of different lengths numerically', () => {
    expect(compareNanos('999', '1000')).to.be.below(0);
    expect(compareNanos('1760000000000000001', '1760000000000000000')).to.be.above(0);
    expect(compareNanos('5', '5')).to.equal(0);
  });
});
