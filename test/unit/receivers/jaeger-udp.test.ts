import { expect } from 'chai';
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { startJaegerUdpReceiver } from '../../helpers/receivers';
import { exportOnce, isolateJaegerEnv, makeReadableSpans } from './fixtures';
import { expectEndpoint, expectSampleRoundTrip, expectUnavailableThenOk, useReceiver } from './harness';

describe('receivers: Jaeger UDP (thrift binary Agent.emitBatch)', function () {
  this.timeout(8000);
  isolateJaegerEnv();
  const h = useReceiver(
    () => startJaegerUdpReceiver(),
    (receiver) =>
      new JaegerExporter({
        host: '127.0.0.1',
        port: receiver.port,
        endpoint: '', // '' = UDP (only if OTEL_EXPORTER_JAEGER_ENDPOINT is unset too)
        tags: [
          { key: 'host.name', value: 'test-host' },
          { key: 'process.pid.test', value: 7 },
        ],
        maxPacketSize: 65000,
        flushTimeout: 1000,
      }),
  );

  it('has no url and no request headers', () => {
    expectEndpoint(h.receiver, 'jaeger-udp', () => '');
  });

  it('decodes a real JaegerExporter UDP export field by field', async () => {
    const receiver = h.receiver;
    const spans = await expectSampleRoundTrip(receiver, h.newExporter(), 'jaeger-udp', {
      jaeger: true,
      resource: { 'host.name': 'test-host', 'process.pid.test': 7 },
    });
    const server = spans.find((s) => s.name === 'GET /users/:id')!;
    expect(server.attributes['test.strings']).to.equal('a,b'); // exporter-jaeger stringifies arrays
    expect(server.attributes).to.not.have.any.keys('span.kind', 'otel.status_code', 'otel.status_description', 'error', 'otel.library.name');
    expect(server.resource).to.deep.equal({ 'service.name': 'receiver-test-svc', 'host.name': 'test-host', 'process.pid.test': 7 });
    expect(receiver.requestHeaders).to.deep.equal([]);
    // Exports that overlap (spans ended in the same tick) share the sender's buffer: fewer datagrams than spans.
    expect(receiver.rawPayloads.length).to.be.within(1, 3);
  });

  it("'unavailable' drops datagrams (the exporter cannot notice), then 'ok' stores them again", async () => {
    await expectUnavailableThenOk(h.receiver, h.newExporter(), { exportFails: false });
  });

  it('reset() clears everything and close() is idempotent', async () => {
    const receiver = h.receiver;
    await exportOnce(h.newExporter(), await makeReadableSpans());
    await receiver.waitForSpans(1);
    receiver.reset();
    expect(receiver.spans).to.have.length(0);
    expect(receiver.rawPayloads).to.have.length(0);
    await receiver.close();
    await receiver.close();
  });
});
