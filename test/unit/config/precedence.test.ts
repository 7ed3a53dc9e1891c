/** Good values: TRACING_* over OTEL_*, each OTEL_* fallback on its own, package.json, blank = unset. */
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import { createTempApp, loadWith, type TempApp } from './fixtures';

describe('config: values, fallbacks and precedence', () => {
  let app: TempApp;
  before(() => {
    app = createTempApp();
  });
  after(() => app.remove());

  const load = (env: Record<string, string>) => loadWith(env, app.root);

  describe('defaults', () => {
    it('an empty environment gives the documented defaults and no problems', () => {
      const { config, sources, problems } = load({});
      expect(problems).to.deep.equal([]);
      // upstream register's default set (test/unit/instrumentations/targets.test.ts compares it with upstream's own)
      expect(config.instrumentations.slice(0, 3)).to.deep.equal(['http', 'express', 'undici']);
      expect(config.instrumentations).to.include.members([
        'pg',
        'ioredis',
        'redis',
        'mysql2',
        'mongodb',
        'kafkajs',
        'graphql',
        'grpc',
        'aws-sdk',
        'pino',
        'winston',
        'bunyan',
      ]);
      for (const off of ['fs', 'router', 'dns', 'net', 'host-metrics', 'runtime-node']) expect(config.instrumentations).not.to.include(off);
      expect(config).to.deep.include({
        enabled: true,
        exporters: ['otlp'],
        endpoint: undefined,
        headers: {},
        sampleRate: 1,
        maxQueueSize: 2048,
        batchSize: 512,
        scheduleDelayMs: 5000,
        exportTimeoutMs: 30000,
        shutdownTimeoutMs: 5000,
        logLevel: 'warn',
        jaegerAgentHost: 'localhost',
        jaegerAgentPort: 6832,
        filePath: path.resolve(process.cwd(), 'traces.jsonl'),
        errorBodyField: 'trace_id',
        errorStatusMin: 400,
        responseHeader: false,
      });
      expect(sources.sampleRate).to.equal('default');
    });

    it('results do not share arrays or objects', () => {
      const first = load({});
      first.config.exporters.push('console');
      first.config.headers.x = 'y';
      const second = load({});
      expect(second.config.exporters).to.deep.equal(['otlp']);
      expect(second.config.headers).to.deep.equal({});
    });

    it('blank values count as unset', () => {
      const { config, sources, problems } = load({ TRACING_SAMPLE_RATE: '   ', TRACING_SERVICE_NAME: '', OTEL_SERVICE_NAME: 'svc', TRACING_EXPORTER: ' ' });
      expect(problems).to.deep.equal([]);
      expect(config.sampleRate).to.equal(1);
      expect(config.serviceName).to.equal('svc');
      expect(sources.serviceName).to.equal('OTEL_SERVICE_NAME');
      expect(config.exporters).to.deep.equal(['otlp']);
    });
  });

  describe('service name and version', () => {
    it('TRACING_SERVICE_NAME wins over OTEL_SERVICE_NAME and the resource attribute', () => {
      const { config, sources } = load({
        TRACING_SERVICE_NAME: 'tracing-svc',
        OTEL_SERVICE_NAME: 'otel-svc',
        OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-svc',
      });
      expect(config.serviceName).to.equal('tracing-svc');
      expect(sources.serviceName).to.equal('TRACING_SERVICE_NAME');
    });

    it('OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES service.name', () => {
      const { config, sources } = load({ OTEL_SERVICE_NAME: 'otel-svc', OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-svc' });
      expect(config.serviceName).to.equal('otel-svc');
      expect(sources.serviceName).to.equal('OTEL_SERVICE_NAME');
    });

    it('uses service.name and service.version from OTEL_RESOURCE_ATTRIBUTES over package.json', () => {
      const { config, sources, problems } = load({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=attr-svc,service.version=9.9.9' });
      expect(problems).to.deep.equal([]);
      expect(config.serviceName).to.equal('attr-svc');
      expect(sources.serviceName).to.equal('OTEL_RESOURCE_ATTRIBUTES');
      expect(config.serviceVersion).to.equal('9.9.9');
      expect(sources.serviceVersion).to.equal('OTEL_RESOURCE_ATTRIBUTES');
    });

    it('falls back to the app package.json name (sanitized) and version', () => {
      const { config, sources } = load({});
      expect(config.serviceName).to.equal('acme-checkout');
      expect(config.serviceVersion).to.equal('2.3.4');
      expect(sources.serviceName).to.equal('package.json');
      expect(sources.serviceVersion).to.equal('package.json');
    });

    it('walks up from appRoot to the first package.json with a name, skipping {"type": "module"} markers', () => {
      const nested = path.join(app.root, 'dist', 'server');
      fs.mkdirSync(nested, { recursive: true });
      fs.writeFileSync(path.join(app.root, 'dist', 'package.json'), '{"type":"module"}');
      try {
        expect(loadWith({}, nested).config.serviceName).to.equal('acme-checkout');
      } finally {
        fs.rmSync(path.join(app.root, 'dist'), { recursive: true, force: true });
      }
    });

    it('sanitizes odd package names', () => {
      const odd = createTempApp({ name: '@My Org/svc~v2', version: '1.0.0' });
      try {
        expect(loadWith({}, odd.root).config.serviceName).to.equal('My-Org-svc-v2');
      } finally {
        odd.remove();
      }
    });

    it('tolerates an invalid or missing package.json', () => {
      const broken = createTempApp('{ not json');
      try {
        const { config, sources, problems } = loadWith({}, broken.root);
        expect(problems).to.deep.equal([]);
        expect(config.serviceName).to.equal('unknown_service:node');
        expect(config.serviceVersion).to.equal(undefined);
        expect(sources.serviceName).to.equal('default');
      } finally {
        broken.remove();
      }
    });

    it('TRACING_SERVICE_VERSION wins over package.json', () => {
      const { config, sources } = load({ TRACING_SERVICE_VERSION: '3.0.0-rc.1' });
      expect(config.serviceVersion).to.equal('3.0.0-rc.1');
      expect(sources.serviceVersion).to.equal('TRACING_SERVICE_VERSION');
    });
  });

  describe('resource attributes and environment', () => {
    it('parses OTEL_RESOURCE_ATTRIBUTES with percent-decoded values', () => {
      const { config, sources, problems } = load({ OTEL_RESOURCE_ATTRIBUTES: ' team = core , note=hello%20world%2C%20hi , eq=a%3Db=c' });
      expect(problems).to.deep.equal([]);
      expect(config.resourceAttributes).to.deep.equal({ team: 'core', note: 'hello world, hi', eq: 'a=b=c' });
      expect(sources.resourceAttributes).to.equal('OTEL_RESOURCE_ATTRIBUTES');
    });

    it('takes the environment from deployment.environment.name, then deployment.environment', () => {
      expect(load({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging,deployment.environment.name=prod' }).config.environment).to.equal('prod');
      const { config, sources } = load({ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging' });
      expect(config.environment).to.equal('staging');
      expect(sources.environment).to.equal('OTEL_RESOURCE_ATTRIBUTES');
    });

    it('TRACING_ENVIRONMENT wins', () => {
      const { config, sources } = load({ TRACING_ENVIRONMENT: 'qa', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod' });
      expect(config.environment).to.equal('qa');
      expect(sources.environment).to.equal('TRACING_ENVIRONMENT');
    });

    it('reports a bad attribute once even though several options read the variable', () => {
      expect(load({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=x,broken' }).problems).to.have.lengthOf(1);
    });
  });

  describe('exporters and protocol', () => {
    it('normalizes TRACING_EXPORTER: case, spaces, duplicates', () => {
      const { config, problems } = load({ TRACING_EXPORTER: ' OTLP-HTTP , console,otlp-http ' });
      expect(problems).to.deep.equal([]);
      expect(config.exporters).to.deep.equal(['otlp-http', 'console']);
    });

    it('maps OTEL_TRACES_EXPORTER=otlp by the protocol variables', () => {
      // Upstream's default protocol when none is named: http/protobuf.
      expect(load({ OTEL_TRACES_EXPORTER: 'otlp' }).config.exporters).to.deep.equal(['otlp-http']);
      expect(load({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).config.exporters).to.deep.equal(['otlp']);
      const { config, sources } = load({ OTEL_TRACES_EXPORTER: 'otlp,console', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
      expect(config.exporters).to.deep.equal(['otlp-http', 'console']);
      expect(sources.exporters).to.equal('OTEL_TRACES_EXPORTER');
    });

    it('uses the protocol alone when no exporter variable is set; the traces one wins', () => {
      const httpOnly = load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
      expect(httpOnly.config.exporters).to.deep.equal(['otlp-http']);
      expect(httpOnly.sources.exporters).to.equal('OTEL_EXPORTER_OTLP_PROTOCOL');
      const both = load({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
      expect(both.config.exporters).to.deep.equal(['otlp']);
      expect(both.sources.exporters).to.equal('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL');
    });

    it('treats http/json as http/protobuf, with one problem line', () => {
      const { config, problems } = load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      expect(config.exporters).to.deep.equal(['otlp-http']);
      expect(problems).to.have.lengthOf(1);
      expect(problems[0]).to.include('OTEL_EXPORTER_OTLP_PROTOCOL="http/json"').and.to.include('JSON').and.to.include('http/protobuf');
    });

    it('TRACING_EXPORTER wins and the protocol variables are then ignored', () => {
      const { config, sources, problems } = load({ TRACING_EXPORTER: 'otlp', OTEL_TRACES_EXPORTER: 'console', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
      expect(config.exporters).to.deep.equal(['otlp']);
      expect(sources.exporters).to.equal('TRACING_EXPORTER');
      expect(problems).to.deep.equal([]);
    });

    it('accepts none alone', () => {
      expect(load({ TRACING_EXPORTER: 'none' }).config.exporters).to.deep.equal(['none']);
      expect(load({ OTEL_TRACES_EXPORTER: 'none' }).config.exporters).to.deep.equal(['none']);
    });
  });

  describe('endpoint', () => {
    it('TRACING_ENDPOINT wins and is used as written', () => {
      const { config, sources } = load({ TRACING_ENDPOINT: 'https://collector:4317', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://other:4318/v1/traces' });
      expect(config.endpoint).to.equal('https://collector:4317');
      expect(sources.endpoint).to.equal('TRACING_ENDPOINT');
    });

    it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as-is, over OTEL_EXPORTER_OTLP_ENDPOINT', () => {
      const { config, sources } = load({
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://base:4318',
        TRACING_EXPORTER: 'otlp-http',
      });
      expect(config.endpoint).to.equal('http://c:4318/custom');
      expect(sources.endpoint).to.equal('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
    });

    it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT for otlp-http', () => {
      expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).config.endpoint).to.equal(
        'http://c:4318/v1/traces',
      );
      expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/prefix/', TRACING_EXPORTER: 'otlp-http' }).config.endpoint).to.equal(
        'http://c:4318/prefix/v1/traces',
      );
      const { config, sources } = load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://c/prefix', TRACING_EXPORTER: 'otlp-http' });
      expect(config.endpoint).to.equal('https://c/prefix/v1/traces');
      expect(sources.endpoint).to.equal('OTEL_EXPORTER_OTLP_ENDPOINT');
    });

    it('uses OTEL_EXPORTER_OTLP_ENDPOINT as-is for gRPC', () => {
      expect(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).config.endpoint).to.equal('http://c:4317');
    });

    it("OTEL_* alone gets upstream's default protocol: an OTLP endpoint without a protocol is http/protobuf, never gRPC", () => {
      const { config, sources } = load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
      expect(config.exporters).to.deep.equal(['otlp-http']);
      expect(sources.exporters).to.include('OTEL_EXPORTER_OTLP_ENDPOINT');
      expect(config.endpoint).to.equal('http://collector:4318/v1/traces');
      // TRACING_* keeps its own simple default: gRPC.
      expect(load({ TRACING_ENDPOINT: 'http://collector:4317' }).config.exporters).to.deep.equal(['otlp']);
    });

    it('ignores the OTLP endpoint variables when no OTLP exporter is selected', () => {
      const { config, problems } = load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', TRACING_EXPORTER: 'jaeger' });
      expect(config.endpoint).to.equal(undefined);
      expect(problems).to.deep.equal([]);
    });
  });

  describe('headers', () => {
    it('parses k=v pairs: trimmed, values may contain "=", percent-decoded', () => {
      const { config, problems } = load({ TRACING_HEADERS: ' authorization = Basic%20dXNlcjpwdw== , x-tenant=acme ' });
      expect(problems).to.deep.equal([]);
      expect(config.headers).to.deep.equal({ authorization: 'Basic dXNlcjpwdw==', 'x-tenant': 'acme' });
    });

    it('TRACING_HEADERS wins, then the traces variable, then the generic one', () => {
      const all = { TRACING_HEADERS: 'a=1', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=2', OTEL_EXPORTER_OTLP_HEADERS: 'c=3' };
      expect(load(all).config.headers).to.deep.equal({ a: '1' });
      const traces = load({ OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=2', OTEL_EXPORTER_OTLP_HEADERS: 'c=3' });
      expect(traces.config.headers).to.deep.equal({ b: '2' });
      expect(traces.sources.headers).to.equal('OTEL_EXPORTER_OTLP_TRACES_HEADERS');
      const generic = load({ OTEL_EXPORTER_OTLP_HEADERS: 'c=3' });
      expect(generic.config.headers).to.deep.equal({ c: '3' });
      expect(generic.sources.headers).to.equal('OTEL_EXPORTER_OTLP_HEADERS');
    });
  });

  describe('sampling', () => {
    it('TRACING_SAMPLE_RATE wins over the OTEL sampler variables', () => {
      const { config, sources } = load({ TRACING_SAMPLE_RATE: '0.1', OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_SAMPLER_ARG: '0.5' });
      expect(config.sampleRate).to.equal(0.1);
      expect(sources.sampleRate).to.equal('TRACING_SAMPLE_RATE');
    });

    it('uses OTEL_TRACES_SAMPLER_ARG only as the argument of a ratio sampler (alone it is ignored, with one line)', () => {
      const alone = load({ OTEL_TRACES_SAMPLER_ARG: '0.25' });
      expect(alone.config.sampleRate).to.equal(1);
      expect(alone.sources.sampleRate).to.equal('default');
      expect(alone.problems).to.deep.equal(['otel-agent: OTEL_TRACES_SAMPLER_ARG="0.25" is set but OTEL_TRACES_SAMPLER names no ratio sampler; ignored']);
      const ratio = load({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
      expect(ratio.config.sampleRate).to.equal(0.25);
      expect(ratio.sources.sampleRate).to.equal('OTEL_TRACES_SAMPLER_ARG');
    });

    it('maps always_off/always_on and ignores the argument for them', () => {
      const off = load({ OTEL_TRACES_SAMPLER: 'parentbased_always_off', OTEL_TRACES_SAMPLER_ARG: '0.5' });
      expect(off.config.sampleRate).to.equal(0);
      expect(off.sources.sampleRate).to.equal('OTEL_TRACES_SAMPLER');
      expect(load({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '0.5' }).config.sampleRate).to.equal(1);
      expect(load({ OTEL_TRACES_SAMPLER: 'always_off' }).config.sampleRate).to.equal(0);
    });

    it('OTEL_TRACES_SAMPLER: parentbased_* follow the parent, always_on/always_off/traceidratio do not; TRACING_SAMPLE_RATE is parent-based', () => {
      for (const [sampler, parentBased] of [
        ['always_on', false],
        ['always_off', false],
        ['traceidratio', false],
        ['parentbased_always_on', true],
        ['parentbased_always_off', true],
        ['parentbased_traceidratio', true],
      ] as const) {
        const { config, problems } = load({ OTEL_TRACES_SAMPLER: sampler });
        expect(config.samplerParentBased, sampler).to.equal(parentBased);
        expect(problems, sampler).to.deep.equal([]);
      }
      expect(load({}).config.samplerParentBased).to.equal(true);
      expect(load({ TRACING_SAMPLE_RATE: '0.5', OTEL_TRACES_SAMPLER: 'always_off' }).config.samplerParentBased).to.equal(true);
    });

    it('accepts the ends of the range', () => {
      expect(load({ TRACING_SAMPLE_RATE: '0' }).config.sampleRate).to.equal(0);
      expect(load({ TRACING_SAMPLE_RATE: '1.0' }).config.sampleRate).to.equal(1);
    });
  });

  describe('enabled', () => {
    it('OTEL_SDK_DISABLED=true disables the agent', () => {
      const { config, sources } = load({ OTEL_SDK_DISABLED: 'true' });
      expect(config.enabled).to.equal(false);
      expect(sources.enabled).to.equal('OTEL_SDK_DISABLED');
      expect(load({ OTEL_SDK_DISABLED: 'false' }).config.enabled).to.equal(true);
    });

    it('TRACING_ENABLED wins over OTEL_SDK_DISABLED', () => {
      const { config, sources } = load({ TRACING_ENABLED: 'yes', OTEL_SDK_DISABLED: 'true' });
      expect(config.enabled).to.equal(true);
      expect(sources.enabled).to.equal('TRACING_ENABLED');
    });

    it('accepts true/false, 1/0, yes/no, on/off in any case', () => {
      for (const word of ['true', 'TRUE', '1', 'yes', 'On']) expect(load({ TRACING_RESPONSE_HEADER: word }).config.responseHeader, word).to.equal(true);
      for (const word of ['false', 'False', '0', 'no', 'OFF']) expect(load({ TRACING_PII_MASKING: word }).config.piiMasking, word).to.equal(false);
    });
  });

  describe('batching, log level, instrumentations, PII', () => {
    it('reads the OTEL_BSP_* and OTLP timeout fallbacks', () => {
      const { config, sources, problems } = load({
        OTEL_BSP_MAX_QUEUE_SIZE: '4096',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '1024',
        OTEL_BSP_SCHEDULE_DELAY: '1000',
        OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '10000',
      });
      expect(problems).to.deep.equal([]);
      // The OTLP request timeout and the batch export timeout are distinct settings (the specification's).
      expect(config).to.deep.include({ maxQueueSize: 4096, batchSize: 1024, scheduleDelayMs: 1000, exportTimeoutMs: 30000, otlpTimeoutMs: 10000 });
      expect(sources.otlpTimeoutMs).to.equal('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT');
      const both = load({ OTEL_BSP_EXPORT_TIMEOUT: '2000', OTEL_EXPORTER_OTLP_TIMEOUT: '0' }).config;
      expect({ batch: both.exportTimeoutMs, request: both.otlpTimeoutMs }).to.deep.equal({ batch: 2000, request: 0 });
      expect(load({ TRACING_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_QUEUE_SIZE: '4096' }).config.maxQueueSize).to.equal(100);
    });

    it('accepts a batch equal to the queue and unambiguous integer spellings', () => {
      const { config, problems } = load({ TRACING_MAX_QUEUE_SIZE: '+1000', TRACING_BATCH_SIZE: '01000' });
      expect(problems).to.deep.equal([]);
      expect(config.maxQueueSize).to.equal(1000);
      expect(config.batchSize).to.equal(1000);
    });

    it('reads the log level case-insensitively; OTEL_LOG_LEVEL verbose/all mean debug', () => {
      expect(load({ TRACING_LOG_LEVEL: 'INFO' }).config.logLevel).to.equal('info');
      expect(load({ OTEL_LOG_LEVEL: 'VERBOSE' }).config.logLevel).to.equal('debug');
      expect(load({ OTEL_LOG_LEVEL: 'all' }).config.logLevel).to.equal('debug');
      const { config, sources } = load({ TRACING_LOG_LEVEL: 'error', OTEL_LOG_LEVEL: 'debug' });
      expect(config.logLevel).to.equal('error');
      expect(sources.logLevel).to.equal('TRACING_LOG_LEVEL');
    });

    it('normalizes instrumentations and resolves the fetch/https aliases', () => {
      const { config, problems } = load({ TRACING_INSTRUMENTATIONS: ' HTTP , fetch, pg, https,undici ' });
      expect(problems).to.deep.equal([]);
      expect(config.instrumentations).to.deep.equal(['http', 'undici', 'pg']);
    });

    it('edits the defaults with +name/-name, left to right, without restating them', () => {
      const defaults = load({}).config.instrumentations;
      const { config, problems, sources } = load({ TRACING_INSTRUMENTATIONS: '+fs, -pg,+dns,+pg, -ioredis' });
      expect(problems).to.deep.equal([]);
      expect(sources.instrumentations).to.equal('TRACING_INSTRUMENTATIONS');
      expect(config.instrumentations).to.deep.equal([...defaults.filter((name) => name !== 'ioredis' && name !== 'pg'), 'fs', 'dns', 'pg']);
      expect(load({ TRACING_INSTRUMENTATIONS: '+router,+fetch' }).config.instrumentations).to.deep.equal([...defaults, 'router']);
    });

    it('OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS: enabled replaces the defaults (fs allowed), disabled is applied after; TRACING_INSTRUMENTATIONS wins', () => {
      const defaults = load({}).config.instrumentations;
      expect(load({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,fs,pg' }).config.instrumentations).to.deep.equal(['http', 'fs', 'pg']);
      expect(load({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg,redis' }).config.instrumentations).to.deep.equal(
        defaults.filter((n) => n !== 'pg' && n !== 'redis'),
      );
      const both = load({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,net', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'net' });
      expect(both.config.instrumentations).to.deep.equal(['http', 'pg']);
      expect(both.sources.instrumentations).to.equal('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
      const tracing = load({ TRACING_INSTRUMENTATIONS: 'http,dns', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'dns' });
      expect(tracing.config.instrumentations).to.deep.equal(['http', 'dns']);
      expect(tracing.problems).to.deep.equal([]);
    });

    it('reads PII patterns as a JSON array or one pattern, and keys as a lower-cased list', () => {
      expect(load({ TRACING_PII_PATTERNS: '["\\\\d{4}-\\\\d{4}", "secret-[a-z]+"]' }).config.piiPatterns).to.deep.equal(['\\d{4}-\\d{4}', 'secret-[a-z]+']);
      expect(load({ TRACING_PII_PATTERNS: 'acct-\\d+' }).config.piiPatterns).to.deep.equal(['acct-\\d+']);
      expect(load({ TRACING_PII_KEYS: ' SSN, Passport ,ssn,' }).config.piiKeys).to.deep.equal(['ssn', 'passport']);
    });
  });

  describe('files', () => {
    it('accepts a readable CA file (resolved), also from the OTEL_* certificate variables', () => {
      const ca = path.join(app.root, 'ca.pem');
      fs.writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
      const { config, sources } = load({ OTEL_EXPORTER_OTLP_CERTIFICATE: ca });
      expect(config.caFile).to.equal(ca);
      expect(sources.caFile).to.equal('OTEL_EXPORTER_OTLP_CERTIFICATE');
      expect(load({ TRACING_CA_FILE: ca }).sources.caFile).to.equal('TRACING_CA_FILE');
    });

    it('a CA path that is a directory is rejected', () => {
      const { config, problems } = load({ TRACING_CA_FILE: app.root });
      expect(config.caFile).to.equal(undefined);
      expect(problems).to.have.lengthOf(1);
    });

    it('accepts a file path in a writable directory without creating the file', () => {
      const target = path.join(app.root, 'out', 'spans.jsonl');
      fs.mkdirSync(path.dirname(target));
      const { config, problems } = load({ TRACING_FILE_PATH: target });
      expect(problems).to.deep.equal([]);
      expect(config.filePath).to.equal(target);
      expect(fs.existsSync(target)).to.equal(false);
    });

    it('resolves a relative file path against the working directory', () => {
      expect(load({ TRACING_FILE_PATH: 'traces-test.jsonl' }).config.filePath).to.equal(path.resolve(process.cwd(), 'traces-test.jsonl'));
    });
  });
});
