/**
 * The typed env readers of src/config/value-parsers.ts, one by one: what each accepts, what it turns
 * the raw text into, and the one problem it reports (and never throws) for what it rejects.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Problem } from '../../../src/config/problem-line';
import type { ResolveContext, ValueParser } from '../../../src/config/option-types';
import {
  createEnvReader,
  describeItem,
  integerBetween,
  keyValueList,
  numberBetween,
  oneOf,
  parseBoolean,
  parseHttpUrl,
  parsePemCertificateFile,
  parsePemPrivateKeyFile,
  parseReadableFile,
  parseWritableFilePath,
  printableText,
  redactKeyValueList,
  redactUrlCredentials,
  splitCommaList,
  textMatching,
  whyNotWritable,
} from '../../../src/config/value-parsers';

function contextIn(cwd: string): ResolveContext & { problems: Problem[] } {
  const problems: Problem[] = [];
  return {
    problems,
    read: () => undefined,
    report: (problem) => problems.push(problem),
    cwd,
    appPackage: undefined,
    resolved: {},
    resourceAttributes: () => ({}),
  };
}

/** Runs `parser` on `raw`: the parsed value (undefined when rejected) and the problems reported. */
function parse<T>(parser: ValueParser<T>, raw: string, cwd = os.tmpdir()): { value: T | undefined; problems: Problem[] } {
  const ctx = contextIn(cwd);
  const parsed = parser(raw, 'TRACING_X', ctx);
  return { value: parsed?.value, problems: ctx.problems };
}

function expectRejected<T>(parser: ValueParser<T>, raw: string, whatIsWrong: string | RegExp, cwd?: string): Problem {
  const { value, problems } = parse(parser, raw, cwd);
  expect(value, raw).to.equal(undefined);
  expect(problems, raw).to.have.lengthOf(1);
  expect(problems[0].variable).to.equal('TRACING_X');
  if (typeof whatIsWrong === 'string') expect(problems[0].whatIsWrong, raw).to.equal(whatIsWrong);
  else expect(problems[0].whatIsWrong, raw).to.match(whatIsWrong);
  return problems[0];
}

describe('config: value parsers', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'value-parsers-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('createEnvReader trims values and reads blank as unset', () => {
    const read = createEnvReader({ A: '  x  ', B: '   ', C: '' });
    expect([read('A'), read('B'), read('C'), read('D')]).to.deep.equal(['x', undefined, undefined, undefined]);
  });

  it("createEnvReader reads what env-var's from(env).get(name).asString() read, trimmed (it replaced that call)", () => {
    const env: NodeJS.ProcessEnv = { A: 'x', B: ' \t y \n', C: '', D: '   ', E: 'undefined', F: '0', G: 'é ü 日本', H: '=a=b', I: '\u00a0z\u00a0' };
    const { from } = require('env-var') as typeof import('env-var');
    const envVar = from(env);
    const read = createEnvReader(env);
    for (const name of [...Object.keys(env), 'UNSET']) {
      const viaEnvVar = envVar.get(name).asString()?.trim();
      expect(read(name), name).to.equal(viaEnvVar === '' ? undefined : viaEnvVar);
    }
  });

  it('parseBoolean takes true/false, 1/0, yes/no, on/off in any case', () => {
    for (const raw of ['true', 'TRUE', '1', 'yes', 'On']) expect(parse(parseBoolean, raw).value, raw).to.equal(true);
    for (const raw of ['false', 'False', '0', 'no', 'OFF']) expect(parse(parseBoolean, raw).value, raw).to.equal(false);
    expectRejected(parseBoolean, 'maybe', 'is not a boolean (expected true/false, 1/0, yes/no or on/off)');
  });

  it('integerBetween takes whole numbers in range, a leading + and zeros, and rejects the rest', () => {
    const port = integerBetween(1, 65535);
    expect(parse(port, '4317').value).to.equal(4317);
    expect(parse(port, '+080').value).to.equal(80);
    for (const raw of ['0', '65536', '1.5', '1e3', '12abc', '0x10', '-1']) expectRejected(port, raw, 'is not a whole number between 1 and 65535');
    expectRejected(integerBetween(0, 10, ' ms'), '11', 'is not a whole number between 0 and 10 ms');
    expect(parse(integerBetween(-5, 5), '-05').value).to.equal(-5);
  });

  it('numberBetween takes decimals and exponents in range, not hex or NaN', () => {
    const ratio = numberBetween(0, 1);
    expect(parse(ratio, '0.25').value).to.equal(0.25);
    expect(parse(ratio, '.5').value).to.equal(0.5);
    expect(parse(ratio, '1e-1').value).to.equal(0.1);
    for (const raw of ['0x1', '1.5', '-0.1', 'NaN', 'Infinity', '']) expectRejected(ratio, raw, 'is not a number between 0 and 1');
  });

  it('oneOf is case-insensitive and lists the choices when it rejects', () => {
    const level = oneOf(['debug', 'info'] as const, 'log level');
    expect(parse(level, 'DEBUG').value).to.equal('debug');
    expectRejected(level, 'verbose', 'is not a known log level (expected debug, info)');
  });

  it('printableText rejects control characters and over-long text', () => {
    const label = printableText(5);
    expect(parse(label, 'v1.2').value).to.equal('v1.2');
    for (const raw of ['v1\n2', 'a\u0007', 'abcdef']) expectRejected(label, raw, 'is not printable text of at most 5 characters');
  });

  it('textMatching describes the expected form in its problem', () => {
    const name = textMatching(/^[a-z]+$/, 'lower-case letters', 'name');
    expect(parse(name, 'abc').value).to.equal('abc');
    expectRejected(name, 'ABC', 'is not a valid name (expected lower-case letters)');
  });

  it('parseHttpUrl takes http(s) URLs as written, hints at a missing scheme and never shows a password', () => {
    expect(parse(parseHttpUrl, 'https://collector:4318/v1/traces').value).to.equal('https://collector:4318/v1/traces');
    expectRejected(parseHttpUrl, 'localhost:4317', 'is not an absolute http:// or https:// URL with a host (did you mean http://localhost:4317?)');
    expectRejected(parseHttpUrl, 'ftp://host/x', 'is not an absolute http:// or https:// URL with a host');
    const problem = expectRejected(parseHttpUrl, 'ftp://user:hunter2@host', /^is not an absolute/);
    expect(problem.shownValue).to.equal('ftp://user:***@host');
  });

  it('redactUrlCredentials masks only the password of a URL', () => {
    expect(redactUrlCredentials('http://user:pw@host:1/p?q=a:b@c')).to.equal('http://user:***@host:1/p?q=a:b@c');
    expect(redactUrlCredentials('http://host/a:b@c')).to.equal('http://host/a:b@c');
  });

  it('splitCommaList trims, lower-cases, drops empty items and duplicates (first wins)', () => {
    expect(splitCommaList(' Http, ,express,HTTP,,undici ')).to.deep.equal(['http', 'express', 'undici']);
  });

  it('describeItem names the item only when the list has more than one', () => {
    expect(describeItem(['a'], 'a')).to.equal('');
    expect(describeItem(['a', 'b'], 'b')).to.equal(' "b"');
  });

  describe('keyValueList', () => {
    const attributes = keyValueList({ kind: 'attribute' });
    const headers = keyValueList({ kind: 'header' });

    it('splits on the first "=", trims and percent-decodes', () => {
      expect(parse(attributes, 'a=1, b = x%20y ,c=k=v').value).to.deep.equal({ a: '1', b: 'x y', c: 'k=v' });
    });

    it('skips a bad entry with one problem each and keeps the others', () => {
      const { value, problems } = parse(attributes, 'a=1,junk,=2,d=%zz');
      expect(value).to.deep.equal({ a: '1' });
      expect(problems.map((p) => p.whatIsWrong)).to.deep.equal([
        'has an entry "junk" without "=" at position 2 (expected key=value)',
        'has an entry with an empty key at position 3',
        'has a value for "d" that is not valid percent-encoding',
      ]);
      expect(problems.map((p) => p.instead)).to.deep.equal(['skipping it', 'skipping it', 'skipping it']);
    });

    it('for headers: checks names are HTTP tokens, keeps a literal % and never shows a value', () => {
      const { value, problems } = parse(headers, 'authorization=Bearer s3cr3t%,bad name=x');
      expect(value).to.deep.equal({ authorization: 'Bearer s3cr3t%' });
      expect(problems).to.have.lengthOf(2);
      expect(problems[0]).to.include({ instead: 'using it as written' });
      expect(problems[1].whatIsWrong).to.match(/^has an invalid header name "bad name"/);
      for (const problem of problems) expect(problem.shownValue).to.equal('authorization=***,bad name=***');
    });

    it('returns undefined (so the next variable gets its turn) when no entry is usable', () => {
      expect(parse(attributes, 'junk').value).to.equal(undefined);
      expectRejected(attributes, ',', 'has no key=value entry');
    });

    it('redactKeyValueList keeps keys readable and masks every value and bare entry', () => {
      expect(redactKeyValueList('a=1,junk,,b=x=y')).to.equal('a=***,***,,b=***');
    });
  });

  describe('files', () => {
    it('parseReadableFile resolves against cwd and rejects directories and missing files', () => {
      fs.writeFileSync(path.join(dir, 'ca.pem'), 'x');
      expect(parse(parseReadableFile, 'ca.pem', dir).value).to.equal(path.join(dir, 'ca.pem'));
      expectRejected(parseReadableFile, dir, 'is not a readable file');
      expectRejected(parseReadableFile, 'missing.pem', 'is not a readable file', dir);
    });

    it('parsePemCertificateFile and parsePemPrivateKeyFile check what the file holds', () => {
      fs.writeFileSync(path.join(dir, 'cert.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      fs.writeFileSync(path.join(dir, 'key.pem'), '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n');
      expect(parse(parsePemCertificateFile, 'cert.pem', dir).value).to.equal(path.join(dir, 'cert.pem'));
      expect(parse(parsePemPrivateKeyFile, 'key.pem', dir).value).to.equal(path.join(dir, 'key.pem'));
      expectRejected(parsePemCertificateFile, 'key.pem', 'contains no PEM certificate (-----BEGIN CERTIFICATE-----)', dir);
      expectRejected(parsePemPrivateKeyFile, 'cert.pem', 'contains no PEM private key', dir);
    });

    it('whyNotWritable says why a path cannot be written, without creating anything', () => {
      expect(whyNotWritable(path.join(dir, 'new.jsonl'))).to.equal(undefined);
      expect(fs.existsSync(path.join(dir, 'new.jsonl'))).to.equal(false);
      expect(whyNotWritable(dir)).to.equal('is a directory, not a file');
      expect(whyNotWritable(path.join(dir, 'no-such-dir', 'x.jsonl'))).to.equal(`is in a directory that does not exist (${path.join(dir, 'no-such-dir')})`);
      fs.writeFileSync(path.join(dir, 'plain'), '');
      expect(whyNotWritable(path.join(dir, 'plain', 'x.jsonl'))).to.equal(`is in ${path.join(dir, 'plain')}, which is not a directory`);
      expect(whyNotWritable('/proc/x.jsonl')).to.equal('is in /proc, on the proc virtual file system where files cannot be created');
    });

    it('parseWritableFilePath resolves against cwd and reports the reason', () => {
      expect(parse(parseWritableFilePath, 'traces.jsonl', dir).value).to.equal(path.join(dir, 'traces.jsonl'));
      expectRejected(parseWritableFilePath, '.', 'is a directory, not a file', dir);
    });
  });
});
