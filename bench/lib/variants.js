'use strict';
/**
 * The variants, each a way to start bench/apps/express-app.js. To add one, add an entry here: the
 * load, startup and report code iterate over this list (the goal rows pick variants by id).
 *
 * Fields: id, label, nodeArgs, env, agent (our agent: its "failed to start" line is checked),
 * receiver (which of the bench's receivers it exports to: otlp | datadog | apm), mustExport (100%
 * sampling: the bench fails loudly when the receiver got nothing from it), inDefault (part of a
 * plain `npm run bench`; the others run with --variants=).
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { cleanEnv } = require('./proc');

const ROOT = path.resolve(__dirname, '..', '..');
const resolveFromRoot = (id) => require.resolve(id, { paths: [ROOT] });

/**
 * dd-trace's background features off (each verified in dd-trace 5.132.0's
 * packages/dd-trace/src/config/supported-configurations.json, read by its config/index.js):
 * only tracing and trace export remain, at 100%.
 */
function ddTraceEnv(agentUrl) {
  return {
    DD_SERVICE: 'bench',
    DD_ENV: 'bench',
    DD_TRACE_AGENT_URL: agentUrl,
    DD_TRACE_SAMPLE_RATE: '1',
    DD_TRACE_STARTUP_LOGS: 'false',
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_REMOTE_CONFIGURATION_ENABLED: 'false',
    DD_RUNTIME_METRICS_ENABLED: 'false',
    DD_PROFILING_ENABLED: 'false',
    DD_TRACE_STATS_COMPUTATION_ENABLED: 'false',
    DD_DATA_STREAMS_ENABLED: 'false',
    DD_CRASHTRACKING_ENABLED: 'false', // default true: a crash-report handler/process
    DD_APPSEC_ENABLED: 'false',
    DD_IAST_ENABLED: 'false',
    DD_DYNAMIC_INSTRUMENTATION_ENABLED: 'false',
    DD_LLMOBS_ENABLED: 'false',
  };
}

/**
 * elastic-apm-node's background features off (each verified in 4.18.0's lib/config/schema.js):
 * no central config polling, no metrics, no cloud metadata probes, no logging, no body capture.
 */
function elasticEnv(serverUrl) {
  return {
    ELASTIC_APM_SERVICE_NAME: 'bench',
    ELASTIC_APM_SERVER_URL: serverUrl,
    ELASTIC_APM_TRANSACTION_SAMPLE_RATE: '1',
    ELASTIC_APM_CENTRAL_CONFIG: 'false',
    ELASTIC_APM_METRICS_INTERVAL: '0s',
    ELASTIC_APM_BREAKDOWN_METRICS: 'false',
    ELASTIC_APM_CLOUD_PROVIDER: 'none',
    ELASTIC_APM_LOG_LEVEL: 'off',
    ELASTIC_APM_CAPTURE_BODY: 'off',
  };
}

/**
 * receivers: { otlp, datadog, apm } urls. metrics: the env that turns the agent's metrics on when this
 * build accepts it (metricsEnvOf below), else undefined and the "agent + metrics" variant is left out.
 */
function variants({ receivers, agentRegister = path.join(ROOT, 'build', 'register.js'), metrics, baselineRegister }) {
  const agentEnv = (extra) => ({
    TRACING_EXPORTER: 'otlp',
    TRACING_ENDPOINT: receivers.otlp,
    TRACING_SERVICE_NAME: 'bench',
    ...extra,
  });
  const agent = (id, label, extra, more = {}) => ({
    id,
    label,
    nodeArgs: ['-r', agentRegister],
    env: agentEnv(extra),
    agent: true,
    receiver: 'otlp',
    mustExport: false,
    inDefault: true,
    ...more,
  });
  const list = [
    { id: 'bare', label: 'bare node', nodeArgs: [], env: {}, agent: false, receiver: undefined, mustExport: false, inDefault: true },
    agent('agent', 'agent 100%', {}, { mustExport: true }),
    // Unsampled requests: what the agent costs when it records nothing (TRACING_KEEP_ERRORS still
    // keeps the /error requests, so this variant exports those).
    agent('agent0', 'agent 0%', { TRACING_SAMPLE_RATE: '0' }),
    // The same without keeping errors: plain head sampling, nothing recorded for an unsampled request.
    agent('agent0nokeep', 'agent 0%, no keeping', { TRACING_SAMPLE_RATE: '0', TRACING_KEEP_ERRORS: 'false' }),
    agent('agent10', 'agent 10%', { TRACING_SAMPLE_RATE: '0.1' }),
    // The cost of keeping errors (TRACING_KEEP_ERRORS, on by default): compare with 'agent10'.
    agent('agent10nokeep', 'agent 10%, no keeping', { TRACING_SAMPLE_RATE: '0.1', TRACING_KEEP_ERRORS: 'false' }, { inDefault: false }),
    agent('disabled', 'agent ENABLED=false', { TRACING_ENABLED: 'false' }),
    ...(metrics
      ? [
          agent(
            'agentmetrics',
            `agent 100% + metrics (${Object.entries(metrics)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')})`,
            metrics,
            { mustExport: true },
          ),
        ]
      : []),
    // --baseline-register=PATH: another build of the agent in the same run (A/B of a change), same settings.
    ...(baselineRegister
      ? [
          agent('baseline', 'baseline build 100%', {}, { nodeArgs: ['-r', baselineRegister], mustExport: true, inDefault: false }),
          agent('baseline0', 'baseline build 0%', { TRACING_SAMPLE_RATE: '0' }, { nodeArgs: ['-r', baselineRegister], inDefault: false }),
        ]
      : []),
    {
      id: 'upstream',
      label: 'upstream register',
      nodeArgs: ['-r', resolveFromRoot('@opentelemetry/auto-instrumentations-node/register')],
      env: {
        OTEL_SERVICE_NAME: 'bench',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: receivers.otlp,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        // No cloud metadata probes (they would wait on the network).
        OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
      },
      agent: false,
      receiver: 'otlp',
      mustExport: true,
      inDefault: true,
    },
    {
      id: 'ddtrace',
      label: `dd-trace ${peerVersion('dd-trace')}`,
      nodeArgs: ['-r', resolveFromRoot('dd-trace/init')],
      env: ddTraceEnv(receivers.datadog),
      agent: false,
      receiver: 'datadog',
      mustExport: true,
      inDefault: true,
    },
    {
      id: 'elastic',
      label: `elastic-apm-node ${peerVersion('elastic-apm-node')}`,
      nodeArgs: ['-r', resolveFromRoot('elastic-apm-node/start')],
      env: elasticEnv(receivers.apm),
      agent: false,
      receiver: 'apm',
      mustExport: true,
      inDefault: true,
    },
  ];
  return list;
}

function peerVersion(name) {
  try {
    return require(resolveFromRoot(`${name}/package.json`)).version;
  } catch {
    return '(not installed)';
  }
}

/**
 * The variants of a run: the default ones, or `spec` (--variants=): "all", a comma list of ids, or
 * "+id,..." for the defaults plus those. bare is always included (every ratio is against it).
 */
function selectVariants(all, spec) {
  let ids;
  if (!spec) ids = all.filter((v) => v.inDefault).map((v) => v.id);
  else if (spec === 'all') ids = all.map((v) => v.id);
  else if (spec.startsWith('+')) ids = [...all.filter((v) => v.inDefault).map((v) => v.id), ...spec.slice(1).split(',')];
  else ids = ['bare', ...spec.split(',')];
  const unknown = ids.filter((id) => !all.some((v) => v.id === id));
  if (unknown.length) throw new Error(`unknown variant(s) ${unknown.join(', ')}; known: ${all.map((v) => v.id).join(', ')}`);
  return all.filter((v) => ids.includes(v.id));
}

/**
 * The env of the "agent + metrics" variant, when this build's config knows TRACING_METRICS (another
 * change adds metrics): `otel-agent config` run with TRACING_METRICS=otlp must list the variable with
 * that value. Otherwise undefined and the variant is left out (and the report says so).
 */
function metricsEnvOf(buildDir) {
  const cli = path.join(buildDir, 'src', 'cli', 'main.js');
  if (!fs.existsSync(cli)) return undefined;
  let out;
  try {
    out = execFileSync(process.execPath, [cli, 'config'], {
      env: cleanEnv({ TRACING_METRICS: 'otlp' }),
      encoding: 'utf8',
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (err) {
    out = String((err && err.stdout) || ''); // `config` may exit non-zero when it lists problems
  }
  const line = /^TRACING_METRICS\s+(\S+)/m.exec(out);
  return line && line[1].includes('otlp') ? { TRACING_METRICS: 'otlp' } : undefined;
}

/** Interleaving: round r runs the variants in order, rotated by r (A B C D E, B C D E A, ...). */
function roundOrder(list, round) {
  const k = round % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** Our agent prints this line when it cannot start: the variant then measures a bare app. */
function agentStartFailure(stderr) {
  const m = /otel-agent: failed to start \(([^\n]*)/.exec(stderr);
  return m ? m[1].slice(0, 200) : undefined;
}

module.exports = { variants, selectVariants, metricsEnvOf, roundOrder, agentStartFailure, ROOT };
