'use strict';
/**
 * The bench's receivers, all in one process of their own (so reading exports does not compete with the
 * load generator's event loop), each reading every body, counting it and discarding it, so no variant
 * pays for a heavier receiver than another:
 *   - OTLP gRPC (bench/lib/otlp-receiver.js) for our agent and upstream's register;
 *   - a Datadog-agent-shaped HTTP endpoint for dd-trace and an APM-server-shaped one for
 *     elastic-apm-node (bench/lib/peer-receivers.js).
 * Prints `LISTENING <otlp-url> <datadog-url>|<apm-url>`; over IPC answers {type:'stats'} with what
 * each received since the previous stats call.
 */
const { startOtlpCountingReceiver, takeOtlpCounters } = require('./lib/otlp-receiver');
const { startDatadogAgentReceiver, startApmServerReceiver, takeCounters } = require('./lib/peer-receivers');

async function main() {
  const otlp = await startOtlpCountingReceiver();
  const datadog = await startDatadogAgentReceiver();
  const apm = await startApmServerReceiver();
  process.on('message', (msg) => {
    if (!msg || msg.type !== 'stats') return;
    const o = takeOtlpCounters(otlp);
    process.send({
      type: 'stats',
      id: msg.id,
      spans: o.spans,
      exports: o.exports,
      names: o.names,
      by: { otlp: o, datadog: takeCounters(datadog), apm: takeCounters(apm) },
    });
  });
  process.on('disconnect', () => {
    datadog.server.closeAllConnections();
    apm.server.closeAllConnections();
    otlp.server.forceShutdown();
    process.exit(0);
  });
  process.stdout.write(`LISTENING ${otlp.url} ${datadog.url}|${apm.url}\n`);
}

main().catch((err) => {
  process.stderr.write(`receiver failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
