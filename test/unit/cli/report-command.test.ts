import { expect } from 'chai';
import type { CliIo } from '../../../src/cli/command';
import { parseReportArgs, reportCommand } from '../../../src/cli/report-command';
import { lineOf, spanIdOf, TempDir, traceIdOf } from '../report/spans';

function captureIo(cwd: string): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    env: {},
    cwd,
  };
  return io;
}

describe('otel-agent report arguments', () => {
  it('parses options in both --name value and --name=value forms', () => {
    expect(
      parseReportArgs(['a.jsonl', '--since', '10m', '--service=web', '--route', '/x', '--limit', '3', '--slowest=0', '--json', 'b.jsonl']),
    ).to.deep.include({
      files: ['a.jsonl', 'b.jsonl'],
      sinceMs: 600_000,
      service: 'web',
      route: '/x',
      errorLimit: 3,
      slowestLimit: 0,
      json: true,
    });
  });

  it('refuses bad values, unknown options and no files', () => {
    expect(parseReportArgs(['a', '--since', 'soon'])).to.match(/--since "soon" is not a duration/);
    expect(parseReportArgs(['a', '--limit', '-1'])).to.match(/--limit "-1" is not a whole number/);
    expect(parseReportArgs(['a', '--bogus'])).to.match(/unknown option "--bogus"/);
    expect(parseReportArgs(['a', '--trace'])).to.equal('--trace needs a value');
    expect(parseReportArgs([])).to.equal('no input files given');
  });

  it('a missing file is one stderr line and exit code 1; the other files are still reported', async () => {
    const dir = new TempDir();
    try {
      const file = dir.write('ok.jsonl', [lineOf({ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'web', kind: 'SERVER', route: '/x' })]);
      const io = captureIo(dir.root);
      const code = await reportCommand.run([file, 'missing.jsonl'], io);
      expect(code).to.equal(1);
      expect(io.err).to.equal('otel-agent report: cannot read missing.jsonl (no such file)\n');
      expect(io.out).to.match(/^web +\/x +1 /m);
    } finally {
      dir.remove();
    }
  });

  it('a usage error is exit code 2 with the help on stderr', async () => {
    const io = captureIo(process.cwd());
    expect(await reportCommand.run(['--nope'], io)).to.equal(2);
    expect(io.err).to.include('Usage: otel-agent report');
  });

  it('--trace with an unknown id is exit code 1', async () => {
    const dir = new TempDir();
    try {
      const file = dir.write('ok.jsonl', [lineOf({ traceId: traceIdOf(1), spanId: spanIdOf(1), service: 'web' })]);
      const io = captureIo(dir.root);
      expect(await reportCommand.run([file, '--trace', traceIdOf(2)], io)).to.equal(1);
      expect(io.err).to.include(`no spans of trace ${traceIdOf(2)}`);
    } finally {
      dir.remove();
    }
  });
});
