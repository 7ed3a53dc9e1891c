'use strict';
// Which variants run: the defaults, --variants=, and the "agent + metrics" variant only when the build accepts it.
const { expect } = require('chai');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { variants, selectVariants, metricsEnvOf } = require('../lib/variants');

const receivers = { otlp: 'http://127.0.0.1:1', datadog: 'http://127.0.0.1:2', apm: 'http://127.0.0.1:3' };

function fakeBuild(configOutput, exitCode = 0) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-fake-build-'));
  fs.mkdirSync(path.join(dir, 'src', 'cli'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'src', 'cli', 'main.js'),
    `process.stdout.write(${JSON.stringify(configOutput)}.replace('$V', process.env.TRACING_METRICS || '')); process.exitCode = ${exitCode};`,
  );
  return dir;
}

describe('bench variants', () => {
  it('runs the peers, agent 0% and bare by default; keeps opt-in variants out', () => {
    const ids = selectVariants(variants({ receivers })).map((v) => v.id);
    expect(ids).to.include.members(['bare', 'agent', 'agent0', 'upstream', 'ddtrace', 'elastic']);
    expect(ids).to.not.include('agent10nokeep');
    expect(ids).to.not.include('agentmetrics');
  });
  it('--variants: "+id" adds to the defaults, a plain list keeps bare, unknown ids are refused', () => {
    const all = variants({ receivers });
    expect(selectVariants(all, '+agent10nokeep').map((v) => v.id)).to.include('agent10nokeep');
    expect(selectVariants(all, 'ddtrace').map((v) => v.id)).to.deep.equal(['bare', 'ddtrace']);
    expect(() => selectVariants(all, 'nope')).to.throw(/unknown variant/);
  });
  it('every peer exports at 100% to its own receiver, with its background features off', () => {
    const all = variants({ receivers });
    const dd = all.find((v) => v.id === 'ddtrace');
    expect(dd).to.include({ receiver: 'datadog', mustExport: true });
    expect(dd.env).to.include({
      DD_TRACE_AGENT_URL: receivers.datadog,
      DD_TRACE_SAMPLE_RATE: '1',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_RUNTIME_METRICS_ENABLED: 'false',
    });
    const el = all.find((v) => v.id === 'elastic');
    expect(el).to.include({ receiver: 'apm', mustExport: true });
    expect(el.env).to.include({
      ELASTIC_APM_SERVER_URL: receivers.apm,
      ELASTIC_APM_TRANSACTION_SAMPLE_RATE: '1',
      ELASTIC_APM_CENTRAL_CONFIG: 'false',
      ELASTIC_APM_METRICS_INTERVAL: '0s',
    });
  });
  it('adds "agent + metrics" only when the build\'s config lists TRACING_METRICS=otlp', () => {
    expect(metricsEnvOf(fakeBuild('TRACING_ENABLED   true   default\n'))).to.equal(undefined);
    expect(metricsEnvOf(fakeBuild('TRACING_METRICS   none   default\n'))).to.equal(undefined); // does not take the env
    const env = metricsEnvOf(fakeBuild('TRACING_ENABLED   true   default\nTRACING_METRICS   $V   env\n', 1));
    expect(env).to.deep.equal({ TRACING_METRICS: 'otlp' });
    expect(selectVariants(variants({ receivers, metrics: env })).map((v) => v.id)).to.include('agentmetrics');
    expect(metricsEnvOf(path.join(os.tmpdir(), 'no-such-build'))).to.equal(undefined);
  });
});
