'use strict';
/**
 * The bench's receivers, all in one process of their own (so decoding does not compete with the load
 * generator's event loop, and no variant pays for a heavier receiver than another):
 *   - OTLP gRPC (the test receiver, build/test/helpers/receivers) for our agent and upstream's register;
 *   - a Datadog-agent-shaped HTTP endpoint for dd-trace and an APM-server-shaped one for
 *     elastic-apm-node (bench/lib/peer-receivers.js).
 * Every receiver reads each body, counts it and discards it.
 * Prints `LISTENING <otlp-url> <datadog-url> <apm-url>`; over IPC answers {type:'stats'} with what
 * each received since the previous stats call. Stored OTLP spans are dropped every 250 ms (only counted).
 */
const path = require('node:path');
const { startOtlpGrpcReceiver } = require(path.join(__dirname, '..', 'build', 'test', 'helpers', 'receivers', 'index.js'));
const { startDatadogAgentReceiver, startApmServerReceiver, takeCounters } = require('./lib/peer-receivers');

let spans = 0;
let exportCount = 0;
let bytes = 0;
const spanNames = new Map();

async function main() {
  const receiver = await startOtlpGrpcReceiver();
  const datadog = await startDatadogAgentReceiver();
  const apm = await startApmServerReceiver();
  function drain() {
    spans += receiver.spans.length;
    exportCount += receiver.rawPayloads.length;
    for (const p of receiver.rawPayloads) bytes += p.length;
    for (const s of receiver.spans) {
      if (spanNames.size < 200 || spanNames.has(s.name)) spanNames.set(s.name, (spanNames.get(s.name) || 0) + 1);
    }
    receiver.reset();
  }
  setInterval(drain, 250).unref();
  process.on('message', (msg) => {
    if (!msg || msg.type !== 'stats') return;
    drain();
    const names = Object.fromEntries([...spanNames.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20));
    const otlp = { bytes, decodedBytes: bytes, spans, exports: exportCount, decodeErrors: 0, otherPaths: {} };
    process.send({ type: 'stats', id: msg.id, spans, exports: exportCount, names, by: { otlp, datadog: takeCounters(datadog), apm: takeCounters(apm) } });
    spans = 0;
    exportCount = 0;
    bytes = 0;
    spanNames.clear();
  });
  process.on('disconnect', () => {
    datadog.server.closeAllConnections();
    apm.server.closeAllConnections();
    receiver.close().finally(() => process.exit(0));
  });
  process.stdout.write(`LISTENING ${receiver.url} ${datadog.url}|${apm.url}\n`);
}

main().catch((err) => {
  process.stderr.write(`receiver failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
