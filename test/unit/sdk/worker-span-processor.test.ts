/**
 * WorkerSpanProcessor with its real export worker: spans the worker loses (its full queue, failed
 * exports) are counted through the shared flush signal, readable while the main thread blocks at
 * exit, and reported as one "N spans dropped" line.
 */
import { expect } from 'chai';
import * as net from 'net';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { loadConfig } from '../../../src/config/load-config';
import { createLogger } from '../../../src/logger';
import { WorkerSpanProcessor } from '../../../src/sdk/worker-span-processor';
import { refusedPort } from '../../helpers/refused-port';

describe('WorkerSpanProcessor dropped-span accounting (real worker)', function () {
  this.timeout(20_000);

  it('counts the worker queue-full and failed-export drops during a synchronous flush, and reports them once', async () => {
    const { config } = loadConfig({
      env: {
        TRACING_EXPORTER: 'otlp-http',
        TRACING_ENDPOINT: `http://127.0.0.1:${await refusedPort()}/v1/traces`,
        TRACING_MAX_QUEUE_SIZE: '10',
        TRACING_BATCH_SIZE: '10',
        TRACING_EXPORT_TIMEOUT_MS: '300',
        // The worker's own warnings go to stderr; this test reads the main thread's logger only.
        TRACING_LOG_LEVEL: 'error',
      },
    });
    const lines: string[] = [];
    const processor = new WorkerSpanProcessor(
      config,
      createLogger('warn', (line) => lines.push(line)),
    );
    const provider = new TracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('drops');
    for (let i = 0; i < 200; i++) tracer.startSpan(`span ${i}`).end();

    expect(processor.flushSync(5000), 'flush completed').to.equal(true);
    // Nothing reached the refused collector: each span was dropped from a full queue or in a failed export.
    expect(processor.droppedSpans).to.equal(200);
    processor.reportDroppedSpans();
    await processor.shutdown();
    expect(lines.filter((line) => line.includes('spans dropped'))).to.deep.equal(['otel-agent: 200 spans dropped (collector unreachable or queue full)']);
  });

  it('counts spans still queued or in flight when the exit flush runs out of time (black-holed collector)', async () => {
    const sockets: net.Socket[] = [];
    const blackHole = net.createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    try {
      const { config } = loadConfig({
        env: {
          TRACING_EXPORTER: 'otlp-http',
          TRACING_ENDPOINT: `http://127.0.0.1:${(blackHole.address() as net.AddressInfo).port}/v1/traces`,
          TRACING_BATCH_SIZE: '20',
          TRACING_SHUTDOWN_TIMEOUT_MS: '300',
          TRACING_LOG_LEVEL: 'error',
        },
      });
      const lines: string[] = [];
      const processor = new WorkerSpanProcessor(
        config,
        createLogger('warn', (line) => lines.push(line)),
      );
      const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('black-hole');
      for (let i = 0; i < 50; i++) tracer.startSpan(`span ${i}`).end();

      const started = Date.now();
      expect(processor.flushSync(1000), 'flush timed out').to.equal(false);
      expect(Date.now() - started).to.be.below(1500);
      expect(processor.droppedSpans).to.equal(50);
      processor.reportDroppedSpans();
      expect(lines).to.deep.equal(['otel-agent: 50 spans dropped (collector unreachable or queue full)']);
      await processor.shutdown();
    } finally {
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });

  it('prints no dropped-spans line when nothing was dropped', async () => {
    const { config } = loadConfig({ env: { TRACING_EXPORTER: 'otlp', TRACING_ENDPOINT: `http://127.0.0.1:${await refusedPort()}` } });
    const lines: string[] = [];
    const processor = new WorkerSpanProcessor(
      config,
      createLogger('warn', (line) => lines.push(line)),
    );
    processor.reportDroppedSpans();
    await processor.shutdown();
    expect(lines).to.deep.equal([]);
  });
});
