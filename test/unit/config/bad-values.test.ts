/**
 * Every kind of garbage: exactly one problem line, naming the variable and the value (for headers the
 * key, never the secret), and the option falls back to its documented value. Nothing throws.
 */
import * as path from 'path';
import { expect } from 'chai';
import type { ConfigKey } from '../../../src/config';
import { defaultInstrumentations } from '../../../src/config/option-parsers';
import { APP_PACKAGE, createTempApp, loadWith, type TempApp } from './fixtures';

interface BadValueCase {
  env: Record<string, string>;
  key: ConfigKey;
  expected: unknown;
  /** Text the problem line must contain besides the variable name; defaults to the value. */
  shows?: string[];
  /** Text that must not appear (secrets). */
  hides?: string[];
}

const DEFAULT_FILE = path.resolve(process.cwd(), 'traces.jsonl');

const CASES: BadValueCase[] = [
  { env: { TRACING_SAMPLE_RATE: '1.5' }, key: 'sampleRate', expected: 1 },
  { env: { TRACING_SAMPLE_RATE: 'abc' }, key: 'sampleRate', expected: 1 },
  { env: { TRACING_SAMPLE_RATE: '-0.1' }, key: 'sampleRate', expected: 1 },
  { env: { TRACING_SAMPLE_RATE: '0x1' }, key: 'sampleRate', expected: 1 },
  { env: { TRACING_EXPORTER: 'kafka' }, key: 'exporters', expected: ['otlp'] },
  { env: { TRACING_EXPORTER: 'otlp,kafka' }, key: 'exporters', expected: ['otlp'], shows: ['otlp,kafka', '"kafka"'] },
  { env: { TRACING_EXPORTER: 'none,console' }, key: 'exporters', expected: ['console'] },
  { env: { OTEL_TRACES_EXPORTER: 'kafka' }, key: 'exporters', expected: ['otlp'] },
  { env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon' }, key: 'exporters', expected: ['otlp'] },
  { env: { TRACING_ENDPOINT: 'not a url' }, key: 'endpoint', expected: undefined },
  { env: { TRACING_ENDPOINT: 'ftp://x' }, key: 'endpoint', expected: undefined },
  { env: { TRACING_ENDPOINT: 'localhost:4317' }, key: 'endpoint', expected: undefined, shows: ['localhost:4317', 'did you mean http://localhost:4317?'] },
  { env: { TRACING_ENDPOINT: 'http://user:hunter2@' }, key: 'endpoint', expected: undefined, shows: ['user:***@'], hides: ['hunter2'] },
  { env: { TRACING_HEADERS: 'novalue' }, key: 'headers', expected: {}, shows: ['without "="'], hides: ['novalue'] },
  { env: { TRACING_HEADERS: '=v' }, key: 'headers', expected: {}, shows: ['empty key'] },
  { env: { TRACING_HEADERS: 'bad key=s3cret' }, key: 'headers', expected: {}, shows: ['"bad key"'], hides: ['s3cret'] },
  {
    env: { TRACING_HEADERS: 'authorization=Bearer%20t0ken,x-api-key=%E0%A4%A' },
    key: 'headers',
    expected: { authorization: 'Bearer t0ken', 'x-api-key': '%E0%A4%A' },
    shows: ['"x-api-key"', 'percent-encoding'],
    hides: ['t0ken', '%E0'],
  },
  { env: { TRACING_SERVICE_NAME: 'my\nservice' }, key: 'serviceName', expected: 'acme-checkout', shows: ['my\\nservice', 'from package.json'] },
  { env: { TRACING_SERVICE_NAME: 'tab\there' }, key: 'serviceName', expected: 'acme-checkout', shows: ['"tab\\there"'] },
  { env: { OTEL_SERVICE_NAME: 'esc\u001b[31m' }, key: 'serviceName', expected: 'acme-checkout', shows: ['"esc\\u001b[31m"'] },
  { env: { TRACING_SERVICE_VERSION: '1.0\u0007' }, key: 'serviceVersion', expected: APP_PACKAGE.version, shows: ['"1.0\\u0007"'] },
  { env: { TRACING_ENVIRONMENT: 'prod\u0000' }, key: 'environment', expected: undefined, shows: ['"prod\\u0000"'] },
  { env: { OTEL_RESOURCE_ATTRIBUTES: 'team=core,foo' }, key: 'resourceAttributes', expected: { team: 'core' }, shows: ['"foo"'] },
  { env: { TRACING_MAX_QUEUE_SIZE: '-1' }, key: 'maxQueueSize', expected: 2048 },
  { env: { TRACING_MAX_QUEUE_SIZE: '0' }, key: 'maxQueueSize', expected: 2048 },
  { env: { TRACING_MAX_QUEUE_SIZE: '1e12' }, key: 'maxQueueSize', expected: 2048 },
  { env: { TRACING_MAX_QUEUE_SIZE: '2000000' }, key: 'maxQueueSize', expected: 2048 },
  { env: { TRACING_BATCH_SIZE: '12abc' }, key: 'batchSize', expected: 512 },
  { env: { TRACING_BATCH_SIZE: '4096' }, key: 'batchSize', expected: 2048, shows: ['4096', 'queue size'] },
  { env: { TRACING_MAX_QUEUE_SIZE: '100' }, key: 'batchSize', expected: 100, shows: ['100', 'batch size'] },
  { env: { TRACING_SCHEDULE_DELAY_MS: '0' }, key: 'scheduleDelayMs', expected: 5000 },
  { env: { TRACING_EXPORT_TIMEOUT_MS: '600001' }, key: 'exportTimeoutMs', expected: 30000 },
  { env: { TRACING_SHUTDOWN_TIMEOUT_MS: '2.5' }, key: 'shutdownTimeoutMs', expected: 5000 },
  { env: { TRACING_JAEGER_AGENT_PORT: '0' }, key: 'jaegerAgentPort', expected: 6832 },
  { env: { TRACING_JAEGER_AGENT_PORT: '70000' }, key: 'jaegerAgentPort', expected: 6832 },
  { env: { TRACING_JAEGER_AGENT_HOST: 'bad host' }, key: 'jaegerAgentHost', expected: 'localhost' },
  { env: { TRACING_INSTRUMENTATIONS: 'foo' }, key: 'instrumentations', expected: defaultInstrumentations() },
  { env: { TRACING_INSTRUMENTATIONS: 'runtime-node' }, key: 'instrumentations', expected: defaultInstrumentations(), shows: ['runtime-node', 'metrics'] },
  {
    env: { TRACING_INSTRUMENTATIONS: '+fs,-pg,+nosuchlib' },
    key: 'instrumentations',
    expected: [...defaultInstrumentations().filter((n) => n !== 'pg'), 'fs'],
    shows: ['nosuchlib', 'ignoring it'],
  },
  { env: { TRACING_INSTRUMENTATIONS: '+fs,pg' }, key: 'instrumentations', expected: [...defaultInstrumentations(), 'fs'], shows: ['mixes', 'as +name'] },
  { env: { TRACING_INSTRUMENTATIONS: '-host-metrics' }, key: 'instrumentations', expected: defaultInstrumentations(), shows: ['host-metrics', 'metrics'] },
  {
    env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pgg' },
    key: 'instrumentations',
    expected: ['http'],
    shows: ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'pgg', 'did you mean pg?'],
  },
  {
    env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'nett' },
    key: 'instrumentations',
    expected: defaultInstrumentations(),
    shows: ['OTEL_NODE_DISABLED_INSTRUMENTATIONS', 'nett', 'did you mean net?'],
  },
  { env: { TRACING_INSTRUMENTATIONS: 'http,pg,expres' }, key: 'instrumentations', expected: ['http', 'pg'], shows: ['did you mean express?'] },
  { env: { TRACING_ENABLED: 'maybe' }, key: 'enabled', expected: true },
  { env: { TRACING_PII_MASKING: 'maybe' }, key: 'piiMasking', expected: true },
  { env: { TRACING_RESPONSE_HEADER: 'nope' }, key: 'responseHeader', expected: false },
  { env: { TRACING_CAPTURE_STACKTRACE: '2' }, key: 'captureStacktrace', expected: true },
  { env: { OTEL_SDK_DISABLED: 'perhaps' }, key: 'enabled', expected: true },
  { env: { TRACING_LOG_LEVEL: 'loud' }, key: 'logLevel', expected: 'warn' },
  { env: { OTEL_LOG_LEVEL: 'loud' }, key: 'logLevel', expected: 'warn' },
  { env: { TRACING_ERROR_STATUS_MIN: '99' }, key: 'errorStatusMin', expected: 400 },
  { env: { TRACING_ERROR_STATUS_MIN: '600' }, key: 'errorStatusMin', expected: 400 },
  { env: { TRACING_ERROR_BODY_FIELD: 'trace id' }, key: 'errorBodyField', expected: 'trace_id' },
  // Issue 11 item 12: names that would change the body object itself rather than add a field.
  { env: { TRACING_ERROR_BODY_FIELD: '__proto__' }, key: 'errorBodyField', expected: 'trace_id' },
  { env: { TRACING_ERROR_BODY_FIELD: 'constructor' }, key: 'errorBodyField', expected: 'trace_id' },
  { env: { TRACING_ERROR_BODY_FIELD: 'prototype' }, key: 'errorBodyField', expected: 'trace_id' },
  { env: { TRACING_PII_CLIENT_IP: 'anonymize' }, key: 'piiClientIp', expected: 'mask', shows: ['"anonymize"', 'mask, truncate, keep'] },
  { env: { TRACING_PII_PATTERNS: '["unterminated' }, key: 'piiPatterns', expected: [], shows: ['"[\\"unterminated"'] },
  { env: { TRACING_PII_PATTERNS: '["\\\\d{16}", 5]' }, key: 'piiPatterns', expected: ['\\d{16}'], shows: ['#2'] },
  { env: { TRACING_CA_FILE: '/nonexistent/ca.pem' }, key: 'caFile', expected: undefined },
  {
    env: { TRACING_FILE_PATH: '/nonexistent-dir/traces.jsonl' },
    key: 'filePath',
    expected: DEFAULT_FILE,
    shows: ['/nonexistent-dir/traces.jsonl', 'does not exist'],
  },
  { env: { OTEL_TRACES_SAMPLER: 'xray' }, key: 'sampleRate', expected: 1 },
  { env: { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' }, key: 'sampleRate', expected: 1, shows: ['OTEL_TRACES_SAMPLER_ARG', '"2"'] },
  { env: { TRACING_SAMPL_RATE: '0.5' }, key: 'sampleRate', expected: 1, shows: ['0.5', 'did you mean TRACING_SAMPLE_RATE?'] },
  { env: { tracing_sample_rate: '0.5' }, key: 'sampleRate', expected: 1, shows: ['did you mean TRACING_SAMPLE_RATE?'] },
  { env: { TRACING_HEADER: 'authorization=Bearer abc' }, key: 'headers', expected: {}, shows: ['did you mean TRACING_HEADERS?'], hides: ['Bearer', 'abc'] },
];

describe('config: bad values', () => {
  let app: TempApp;
  before(() => {
    app = createTempApp();
  });
  after(() => app.remove());

  it('covers at least 30 bad values', () => {
    expect(CASES.length).to.be.at.least(30);
  });

  for (const testCase of CASES) {
    const [variable, value] = Object.entries(testCase.env)[0];
    const label = `${Object.entries(testCase.env)
      .map(([name, text]) => `${name}=${JSON.stringify(text)}`)
      .join(' ')} -> ${testCase.key} = ${JSON.stringify(testCase.expected)}`;
    it(label, () => {
      const { config, problems } = loadWith(testCase.env, app.root);
      expect(problems, 'one problem line').to.have.lengthOf(1);
      const [line] = problems;
      expect(line).to.match(/^otel-agent: \S+=".*" .+; .+$/);
      expect(line).not.to.include('\n');
      const naming = testCase.shows?.some((text) => text.startsWith('OTEL_')) ? [] : [variable];
      for (const text of [...naming, ...(testCase.shows ?? [value])]) expect(line).to.include(text);
      for (const secret of testCase.hides ?? []) expect(line).not.to.include(secret);
      expect(config[testCase.key]).to.deep.equal(testCase.expected);
    });
  }

  it('says what an instrumentation list without http costs, and keeps the list', () => {
    const { config, problems } = loadWith({ TRACING_INSTRUMENTATIONS: 'undici,pg' }, app.root);
    expect(config.instrumentations).to.deep.equal(['undici', 'pg']);
    expect(problems).to.have.lengthOf(1);
    expect(problems[0]).to.match(/^otel-agent: TRACING_INSTRUMENTATIONS="undici,pg" does not include http: .*trace_id.*; using undici,pg as given$/);
    expect(loadWith({ TRACING_INSTRUMENTATIONS: 'https,undici' }, app.root).problems).to.deep.equal([]);
  });

  it('replaces garbage by the default, not by a lower-precedence OTEL_* variable', () => {
    const rate = loadWith({ TRACING_SAMPLE_RATE: 'abc', OTEL_TRACES_SAMPLER_ARG: '0.5' }, app.root);
    expect(rate.config.sampleRate).to.equal(1);
    expect(rate.sources.sampleRate).to.equal('default');
    expect(rate.problems).to.deep.equal(['otel-agent: TRACING_SAMPLE_RATE="abc" is not a number between 0 and 1; using 1']);
    const enabled = loadWith({ TRACING_ENABLED: 'maybe', OTEL_SDK_DISABLED: 'true' }, app.root);
    expect(enabled.config.enabled).to.equal(true);
    expect(enabled.problems).to.have.lengthOf(1);
    const headers = loadWith({ OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'novalue', OTEL_EXPORTER_OTLP_HEADERS: 'a=1' }, app.root);
    expect(headers.config.headers).to.deep.equal({});
  });

  it('names the source of a derived default in "using ..."', () => {
    expect(loadWith({ TRACING_SERVICE_NAME: 'my\nservice' }, app.root).problems).to.deep.equal([
      'otel-agent: TRACING_SERVICE_NAME="my\\nservice" contains control characters, which break log lines and backends; using acme-checkout from package.json',
    ]);
  });

  it('takes any service name OpenTelemetry allows (spaces, slashes, long, non-ASCII)', () => {
    for (const name of ['my service', 'a/b', 'x'.repeat(300), 'Kasse Süd', 'api@v2']) {
      const { config, problems } = loadWith({ OTEL_SERVICE_NAME: name }, app.root);
      expect(config.serviceName, name).to.equal(name);
      expect(problems, name).to.deep.equal([]);
    }
  });

  it('OTEL_SDK_DISABLED: only a case-insensitive true disables; anything but true/false is one line', () => {
    expect(loadWith({ OTEL_SDK_DISABLED: 'TRUE' }, app.root).config.enabled).to.equal(false);
    for (const value of ['1', 'yes', 'on']) {
      const { config, problems } = loadWith({ OTEL_SDK_DISABLED: value }, app.root);
      expect(config.enabled, value).to.equal(true);
      expect(problems, value).to.deep.equal([`otel-agent: OTEL_SDK_DISABLED="${value}" is neither true nor false (only true disables); tracing stays on`]);
    }
    expect(loadWith({ OTEL_SDK_DISABLED: 'false' }, app.root).problems).to.deep.equal([]);
  });

  it('matches the documented line format', () => {
    expect(loadWith({ TRACING_SAMPLE_RATE: '1.5' }, app.root).problems).to.deep.equal([
      'otel-agent: TRACING_SAMPLE_RATE="1.5" is not a number between 0 and 1; using 1',
    ]);
    expect(loadWith({ TRACING_EXPORTER: 'kafka' }, app.root).problems).to.deep.equal([
      'otel-agent: TRACING_EXPORTER="kafka" names an unknown exporter (expected otlp, otlp-http, jaeger, zipkin, console, file, none); using otlp',
    ]);
  });

  it('quotes values JSON-style and truncates long ones', () => {
    const [quoted] = loadWith({ TRACING_LOG_LEVEL: 'a"b\nc' }, app.root).problems;
    expect(quoted).to.include('TRACING_LOG_LEVEL="a\\"b\\nc"');
    const [long] = loadWith({ TRACING_ERROR_BODY_FIELD: '#'.repeat(500) }, app.root).problems;
    expect(long).to.include(`"${'#'.repeat(200)}…"`);
    expect(long).not.to.include('#'.repeat(201));
  });

  it('reports one line per bad list item and keeps the good ones', () => {
    const { config, problems } = loadWith({ TRACING_INSTRUMENTATIONS: 'http,foo,bar,pg' }, app.root);
    expect(config.instrumentations).to.deep.equal(['http', 'pg']);
    expect(problems).to.have.lengthOf(2);
    expect(problems[0]).to.include('"foo"').and.to.include('ignoring it');
    expect(problems[1]).to.include('"bar"');
  });

  it('never throws: an internal error returns the defaults and a problem line', () => {
    const exploding = new Proxy(
      {},
      {
        get: () => {
          throw new Error('boom');
        },
        ownKeys: () => {
          throw new Error('boom');
        },
      },
    );
    const loaded = loadWith(exploding, app.root);
    expect(loaded.config.sampleRate).to.equal(1);
    expect(loaded.config.exporters).to.deep.equal(['otlp']);
    expect(loaded.problems.length).to.be.at.least(1);
    for (const line of loaded.problems) expect(line).to.match(/^otel-agent: .*boom/);
  });
});
