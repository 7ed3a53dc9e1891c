'use strict';
/** The variants, each a way to start bench/apps/express-app.js. */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function variants({ receiverUrl, agentRegister = path.join(ROOT, 'build', 'register.js') }) {
  const agentEnv = (extra) => ({
    TRACING_EXPORTER: 'otlp',
    TRACING_ENDPOINT: receiverUrl,
    TRACING_SERVICE_NAME: 'bench',
    ...extra,
  });
  return [
    { id: 'bare', label: 'bare node', nodeArgs: [], env: {}, agent: false },
    { id: 'agent', label: 'agent 100%', nodeArgs: ['-r', agentRegister], env: agentEnv({}), agent: true, exports: true },
    {
      id: 'agent10',
      label: 'agent 10%',
      nodeArgs: ['-r', agentRegister],
      env: agentEnv({ TRACING_SAMPLE_RATE: '0.1' }),
      agent: true,
      exports: true,
    },
    {
      // The cost of keeping errors (TRACING_KEEP_ERRORS, on by default): unsampled requests are recorded
      // until their outcome is known. Compare with 'agent10' in the same run.
      id: 'agent10nokeep',
      label: 'agent 10%, no keeping',
      nodeArgs: ['-r', agentRegister],
      env: agentEnv({ TRACING_SAMPLE_RATE: '0.1', TRACING_KEEP_ERRORS: 'false' }),
      agent: true,
      exports: true,
    },
    {
      id: 'disabled',
      label: 'agent ENABLED=false',
      nodeArgs: ['-r', agentRegister],
      env: agentEnv({ TRACING_ENABLED: 'false' }),
      agent: true,
      exports: false,
    },
    {
      id: 'upstream',
      label: 'upstream register',
      nodeArgs: ['-r', require.resolve('@opentelemetry/auto-instrumentations-node/register', { paths: [ROOT] })],
      env: {
        OTEL_SERVICE_NAME: 'bench',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        // No cloud metadata probes (they would wait on the network).
        OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
      },
      agent: false,
      exports: true,
    },
  ];
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

module.exports = { variants, roundOrder, agentStartFailure, ROOT };
