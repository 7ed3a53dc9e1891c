/**
 * Starting (or not starting) the agent: TRACING_ENABLED=false leaves nothing behind, bad config
 * never stops the app, and loading register twice starts one agent.
 */
import { expect } from 'chai';
import { getJson, runApp, startApp } from '../helpers/app-process';
import { fixture, REGISTER } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';

async function introspect(env: Record<string, string>, extra: { nodeArgs?: string[]; agent?: 'require' | 'import' | 'none' } = {}) {
  const result = await runApp(fixture('introspect-app.js'), { env, ...extra });
  expect(result.code, result.stderr).to.equal(0);
  return { report: JSON.parse(result.stdout.trim()), stderr: result.stderr };
}

describe('startup (integration)', function () {
  this.timeout(60_000);

  it('TRACING_ENABLED=false loads no OpenTelemetry module and patches nothing', async () => {
    const disabled = await introspect({ TRACING_ENABLED: 'false' });
    expect(disabled.report).to.deep.include({
      otelModules: 0,
      serverEmitPatched: false,
      httpRequestWrapped: false,
      httpsRequestWrapped: false,
      exitListeners: 0,
      sigtermListeners: 0,
      sigintListeners: 0,
    });
    // Not even the config module: the master switch is read first (startup within noise of bare node).
    expect(disabled.report.agentModules).to.deep.equal(['src/config/master-switch.js']);
    expect(disabled.stderr).to.equal('');
    // OTEL_SDK_DISABLED is the standard fallback for the same switch
    expect((await introspect({ OTEL_SDK_DISABLED: 'true' })).report.otelModules).to.equal(0);
  });

  it('the same introspection sees the agent when enabled (so the disabled test can fail)', async () => {
    const enabled = await introspect({ TRACING_EXPORTER: 'none' });
    expect(enabled.report.otelModules).to.be.greaterThan(0);
    expect(enabled.report.serverEmitPatched).to.equal(true);
    expect(enabled.report.httpRequestWrapped).to.equal(true);
  });

  it('a CommonJS app gets no ESM loader hook (its loader thread costs startup); TRACING_ESM_HOOK=on forces it', async () => {
    const hookLine = /ESM loader hook installed/;
    const auto = await introspect({ TRACING_EXPORTER: 'none', TRACING_LOG_LEVEL: 'debug' });
    const forced = await introspect({ TRACING_EXPORTER: 'none', TRACING_LOG_LEVEL: 'debug', TRACING_ESM_HOOK: 'on' });
    expect(auto.stderr).to.include('otel-agent: tracing service'); // debug output is on
    expect(auto.stderr).not.to.match(hookLine);
    expect(forced.stderr).to.match(hookLine);
  });

  it('exporter none still creates and propagates trace context', async () => {
    const downstream = startApp(fixture('express5-app.js'), { agent: 'none' });
    const app = startApp(fixture('express5-app.js'), { env: { TRACING_EXPORTER: 'none' } });
    try {
      const [portA, portB] = await Promise.all([app.port(), downstream.port()]);
      const traceId = 'a'.repeat(32);
      const response = await getJson(`http://127.0.0.1:${portA}/chain?target=http://127.0.0.1:${portB}`, {
        traceparent: `00-${traceId}-${'b'.repeat(16)}-01`,
      });
      expect(response.body.viaFetch.traceparent).to.match(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(response.body.viaHttp.traceparent).to.match(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    } finally {
      await Promise.all([app.stop('SIGKILL'), downstream.stop('SIGKILL')]);
    }
  });

  it('bad config: one stderr line per problem naming variable and value; the app still serves and is traced', async () => {
    const receiver = await startOtlpGrpcReceiver();
    const bad: Record<string, string> = {
      TRACING_SAMPLE_RATE: '1.5',
      TRACING_EXPORTER: 'otlp,kafka',
      TRACING_MAX_QUEUE_SIZE: '-1',
      TRACING_INSTRUMENTATIONS: 'http,express,undici,nosuchlib',
      TRACING_SERVICE_NAME: 'my\tservice',
      TRACING_LOG_LEVEL: 'loud',
      TRACING_HEADERS: 'novalue',
      TRACING_SAMPL_RATE: '0.5',
    };
    const app = startApp(fixture('express5-app.js'), { env: { ...bad, TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '50' } });
    try {
      const port = await app.port();
      expect((await getJson(`http://127.0.0.1:${port}/users/1`)).status).to.equal(200);
      await receiver.waitForSpans((all) => all.some((s) => s.kind === 'SERVER'));
      const lines = app.stderr.trim().split('\n');
      expect(lines, app.stderr).to.have.length(Object.keys(bad).length);
      for (const [variable, value] of Object.entries(bad)) {
        const line = lines.find((l) => l.includes(variable + '=') || l.includes(variable + ' '));
        expect(line, `${variable} in:\n${app.stderr}`).to.exist;
        // Problem lines quote values JSON-style (a tab prints as \t).
        if (variable !== 'TRACING_HEADERS') expect(line).to.include(JSON.stringify(value.includes(',') ? value.split(',').pop()! : value).slice(1, -1));
      }
      expect(app.stderr).not.to.match(/\n\s+at /); // no stack traces
    } finally {
      await app.stop('SIGKILL');
      await receiver.close();
    }
  });

  for (const [label, nodeArgs, agent] of [
    ['-r twice', ['-r', REGISTER], 'require'],
    ['-r plus --import', ['--import', REGISTER], 'require'],
  ] as const) {
    it(`${label} starts one agent: one span per request, nothing alarming on stderr`, async () => {
      const receiver = await startOtlpGrpcReceiver();
      const app = startApp(fixture('express5-app.js'), {
        agent,
        nodeArgs: [...nodeArgs],
        env: { TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '50' },
      });
      try {
        const port = await app.port();
        await getJson(`http://127.0.0.1:${port}/users/1`);
        await app.stop('SIGTERM');
        const servers = receiver.spans.filter((s) => s.kind === 'SERVER');
        expect(servers).to.have.length(1);
        expect(app.stderr).to.equal('');
      } finally {
        await app.stop('SIGKILL');
        await receiver.close();
      }
    });
  }

  it('the export worker runs its own bundle: no gRPC, protobuf or OTLP file loads from node_modules, and spans arrive', async () => {
    const receiver = await startOtlpGrpcReceiver();
    // NODE_DEBUG=module: both threads print each file they load ('load "<file>" for module ...').
    const app = startApp(fixture('express5-app.js'), { env: { TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '50', NODE_DEBUG: 'module' } });
    try {
      const port = await app.port();
      await getJson(`http://127.0.0.1:${port}/users/7`);
      await receiver.waitForSpans((all) => all.some((span) => span.name === 'GET /users/:id'));
    } finally {
      await app.stop('SIGKILL');
      await receiver.close();
    }
    const loaded = [...app.stderr.matchAll(/load "([^"]+)" for module/g)].map((match) => match[1].split(/[\\/]/).join('/'));
    // The worker's loads are in the output (so this test can fail): its bundle is the file it ran.
    expect(loaded.some((file) => file.endsWith('/build/export-worker-bundle.js'))).to.equal(true);
    // Unbundled, the worker loaded ~250 files of these packages, each held in memory for its life.
    const fromNodeModules = loaded.filter((file) =>
      /\/node_modules\/(@grpc\/|protobufjs\/|@opentelemetry\/(otlp-|sdk-trace|resources\/|exporter-trace-))/.test(file),
    );
    expect(fromNodeModules).to.deep.equal([]);
  });
});

describe('TRACING_INSTRUMENTATIONS (integration)', function () {
  this.timeout(60_000);

  it('loads exactly the named instrumentations, including ones beyond the defaults', async () => {
    const receiver = await startOtlpGrpcReceiver();
    try {
      const result = await runApp(fixture('dns-app.js'), {
        env: { TRACING_INSTRUMENTATIONS: 'http,dns', TRACING_ENDPOINT: receiver.url, TRACING_SERVICE_NAME: 'dns-app' },
      });
      expect(result.code, result.stderr).to.equal(0);
      // http: the agent's own SERVER instrumentation, upstream's for outgoing requests.
      expect(JSON.parse(result.stdout.trim())).to.deep.equal(['agent:http-server', 'instrumentation-dns', 'instrumentation-http']);
      const spans = await receiver.waitForSpans((all) => all.some((s) => s.scope.name === '@opentelemetry/instrumentation-dns'));
      expect(spans.find((s) => s.scope.name === '@opentelemetry/instrumentation-dns')!.name).to.match(/lookup/);
    } finally {
      await receiver.close();
    }
  });

  it('loads the whole catalogue lazily (+dns: the defaults plus dns): only http, express, undici at start, dns at its first require, patched from that require on', async () => {
    const receiver = await startOtlpGrpcReceiver();
    try {
      // dns is off by default (a span per lookup); +dns keeps every default and adds it, all lazily.
      const result = await runApp(fixture('dns-app.js'), {
        env: { TRACING_INSTRUMENTATIONS: '+dns', TRACING_ENDPOINT: receiver.url, TRACING_SERVICE_NAME: 'dns-app' },
      });
      expect(result.code, result.stderr).to.equal(0);
      // pg, ioredis, pino, mongodb, ... are enabled by default, but the app never loads them
      expect(JSON.parse(result.stdout.trim())).to.deep.equal([
        'agent:express',
        'agent:http-server',
        'instrumentation-dns',
        'instrumentation-http',
        'instrumentation-undici',
      ]);
      // the dns.lookup the app called on the exports of its very first require('dns') made a span
      const spans = await receiver.waitForSpans((all) => all.some((s) => s.scope.name === '@opentelemetry/instrumentation-dns'));
      expect(spans.find((s) => s.scope.name === '@opentelemetry/instrumentation-dns')!.name).to.match(/lookup/);
    } finally {
      await receiver.close();
    }
  });

  it("the catalogue and the app get the startup bundle's OpenTelemetry packages: no second copy loads from node_modules", async () => {
    const result = await runApp(fixture('shared-packages-app.js'), { env: { TRACING_EXPORTER: 'none', TRACING_INSTRUMENTATIONS: '+dns' } });
    expect(result.code, result.stderr).to.equal(0);
    const report = JSON.parse(result.stdout.trim());
    // One entry each: the bundle's instance in require.cache under the file Node resolves the package
    // to. A second copy would show its files here (and, for instrumentation, a second require hook).
    expect(report.files).to.deep.equal({
      '@opentelemetry/api': ['build/src/index.js'],
      '@opentelemetry/api-logs': ['build/src/index.js'],
      '@opentelemetry/core': ['build/src/index.js'],
      '@opentelemetry/instrumentation': ['build/src/index.js'],
      '@opentelemetry/semantic-conventions': ['dist/index.cjs'],
    });
    expect(report.catalogueSharesInstrumentationBase).to.equal(true);
    expect(report.tracerProvider).to.not.equal('NoopTracerProvider');
  });

  it('-name removes a default instrumentation without restating the rest; a bad name is one stderr line', async () => {
    const result = await runApp(fixture('dns-app.js'), { env: { TRACING_EXPORTER: 'none', TRACING_INSTRUMENTATIONS: '-dns,-nosuchlib' } });
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout.trim())).to.deep.equal(['agent:express', 'agent:http-server', 'instrumentation-http', 'instrumentation-undici']);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).to.have.length(1);
    expect(lines[0]).to.match(/^otel-agent: TRACING_INSTRUMENTATIONS="-dns,-nosuchlib" names an unknown instrumentation "nosuchlib"/);
  });

  it("OTEL_NODE_ENABLED_INSTRUMENTATIONS=http,dns (upstream's variable) loads exactly those", async () => {
    const result = await runApp(fixture('dns-app.js'), { env: { TRACING_EXPORTER: 'none', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,dns' } });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.equal('');
    expect(JSON.parse(result.stdout.trim())).to.deep.equal(['agent:http-server', 'instrumentation-dns', 'instrumentation-http']);
  });

  it("OTEL_NODE_DISABLED_INSTRUMENTATIONS=dns (upstream's variable) keeps dns unloaded", async () => {
    const result = await runApp(fixture('dns-app.js'), { env: { TRACING_EXPORTER: 'none', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'dns' } });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.equal('');
    expect(JSON.parse(result.stdout.trim())).to.deep.equal(['agent:express', 'agent:http-server', 'instrumentation-http', 'instrumentation-undici']);
  });
});
