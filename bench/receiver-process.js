'use strict';
/**
 * The local OTLP gRPC receiver, in its own process so decoding spans does not compete with the
 * load generator's event loop. Reuses the test receiver (build/test/helpers/receivers).
 * Prints `LISTENING <url>`; over IPC answers {type:'stats'} with the spans/exports received since
 * the previous stats call. Stored spans are dropped every 250 ms (only counted) to bound memory.
 */
const path = require('node:path');
const { startOtlpGrpcReceiver } = require(path.join(__dirname, '..', 'build', 'test', 'helpers', 'receivers', 'index.js'));

let spans = 0;
let exportCount = 0;
const spanNames = new Map();

async function main() {
  const receiver = await startOtlpGrpcReceiver();
  function drain() {
    spans += receiver.spans.length;
    exportCount += receiver.rawPayloads.length;
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
    process.send({ type: 'stats', id: msg.id, spans, exports: exportCount, names });
    spans = 0;
    exportCount = 0;
    spanNames.clear();
  });
  process.on('disconnect', () => {
    receiver.close().finally(() => process.exit(0));
  });
  process.stdout.write(`LISTENING ${receiver.url}\n`);
}

main().catch((err) => {
  process.stderr.write(`receiver failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
