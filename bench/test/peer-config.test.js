'use strict';
// The peers really run with their background features off and 100% sampling: each is started the way
// the bench starts it (`node -r <peer>` with the variant's env) and its effective config is read back
// (dd-trace 5.132's tracer._config, elastic-apm-node 4.18's agent._conf: private, pinned versions).
const { expect } = require('chai');
const { execFileSync } = require('node:child_process');
const { variants } = require('../lib/variants');
const { cleanEnv } = require('../lib/proc');

const receivers = { otlp: 'http://127.0.0.1:1', datadog: 'http://127.0.0.1:9', apm: 'http://127.0.0.1:9' };
const variant = (id) => variants({ receivers }).find((v) => v.id === id);

function effectiveConfig(v, script) {
  const out = execFileSync(process.execPath, [...v.nodeArgs, '-e', `${script}; setTimeout(() => process.exit(0), 50)`], {
    env: cleanEnv(v.env),
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

describe('bench peers: effective configuration', () => {
  it('dd-trace: 100%, exporting to the bench receiver, background features off', () => {
    const c = effectiveConfig(
      variant('ddtrace'),
      `const c = require('dd-trace')._tracer._config; console.log(JSON.stringify({
        url: String(c.url), sampleRate: c.sampleRate, startupLogs: c.startupLogs, runtimeMetrics: c.runtimeMetrics.enabled,
        telemetry: c.telemetry.DD_INSTRUMENTATION_TELEMETRY_ENABLED, remoteConfig: c.remoteConfig.DD_REMOTE_CONFIGURATION_ENABLED,
        profiling: String(c.profiling.DD_PROFILING_ENABLED), stats: c.stats.DD_TRACE_STATS_COMPUTATION_ENABLED, dsm: c.dsmEnabled,
        crashtracking: c.DD_CRASHTRACKING_ENABLED, appsec: c.appsec.DD_APPSEC_ENABLED, iast: c.iast.DD_IAST_ENABLED }))`,
    );
    expect(c).to.deep.equal({
      url: 'http://127.0.0.1:9/',
      sampleRate: 1,
      startupLogs: false,
      runtimeMetrics: false,
      telemetry: false,
      remoteConfig: false,
      profiling: 'false',
      stats: false,
      dsm: false,
      crashtracking: false,
      appsec: false,
      iast: false,
    });
  });

  it('elastic-apm-node: 100%, exporting to the bench receiver, background features off', () => {
    const c = effectiveConfig(
      variant('elastic'),
      `const c = require('elastic-apm-node')._conf; console.log(JSON.stringify({ serverUrl: c.serverUrl, transactionSampleRate: c.transactionSampleRate,
        centralConfig: c.centralConfig, metricsInterval: c.metricsInterval, breakdownMetrics: c.breakdownMetrics, cloudProvider: c.cloudProvider,
        logLevel: c.logLevel, captureBody: c.captureBody, active: c.active }))`,
    );
    expect(c).to.deep.equal({
      serverUrl: 'http://127.0.0.1:9',
      transactionSampleRate: 1,
      centralConfig: false,
      metricsInterval: 0,
      breakdownMetrics: false,
      cloudProvider: 'none',
      logLevel: 'off',
      captureBody: 'off',
      active: true,
    });
  });
});
