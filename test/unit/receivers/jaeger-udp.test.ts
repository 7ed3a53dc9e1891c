import { expect } from 'chai';
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { startJaegerUdpReceiver, type Receiver } from '../../helpers/receivers';
import {
  ExportResultCode,
  MARKER,
  emitSampleSpans,
  expectSampleShape,
  expectSpansMatch,
  exportOnce,
  isolateJaegerEnv,
  makeReadableSpans,
  payloadsContain,
  until,
} from './fixtures';

describe('receivers: Jaeger UDP (thrift binary Agent.emitBatch)', function () {
  this.timeout(8000);
  isolateJaegerEnv();
  let receiver: Receiver;
  let exporter: JaegerExporter | undefined;

  beforeEach(async () => {
    receiver = await startJaegerUdpReceiver();
  });
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    await receiver.close();
  });

  function newExporter(): JaegerExporter {
    exporter = new JaegerExporter({
      host: '127.0.0.1',
      port: receiver.port,
      endpoint: '', // '' = UDP (only if OTEL_EXPORTER_JAEGER_ENDPOINT is unset too)
      tags: [{ key: 'host.name', value: 'test-host' }, { key: 'process.pid.test', value: 7 }],
      maxPacketSize: 65000,
      flushTimeout: 1000,
    });
    return exporter;
  }

  it('has no url and no request headers', () => {
    expect(receiver.protocol).to.equal('jaeger-udp');
    expect(receiver.url).to.equal('');
    expect(receiver.port).to.be.greaterThan(0);
  });

  it('decodes a real JaegerExporter UDP export field by field', async () => {
    const sent = await emitSampleSpans(newExporter());
    const spans = await receiver.waitForSpans(3);
    expectSpansMatch(spans, sent.all, 'jaeger-udp', {
      jaeger: true,
      resource: { 'host.name': 'test-host', 'process.pid.test': 7 },
    });
    expectSampleShape(spans, sent);
    const server = spans.find(s => s.name === 'GET /users/:id')!;
    expect(server.attributes['test.strings']).to.equal('a,b'); // exporter-jaeger stringifies arrays
    expect(server.attributes).to.not.have.any.keys('span.kind', 'otel.status_code', 'otel.status_description', 'error', 'otel.library.name');
    expect(server.resource).to.deep.equal({ 'service.name': 'receiver-test-svc', 'host.name': 'test-host', 'process.pid.test': 7 });
    expect(receiver.requestHeaders).to.deep.equal([]);
    // Exports that overlap (spans ended in the same tick) share the sender's buffer: fewer datagrams than spans.
    expect(receiver.rawPayloads.length).to.be.within(1, 3);
    expect(payloadsContain(receiver, MARKER)).to.equal(true);
  });

  it("'unavailable' drops datagrams (the exporter cannot notice), then 'ok' stores them again", async () => {
    const ex = newExporter();
    const spans = await makeReadableSpans();
    receiver.setBehaviour('unavailable');
    expect((await exportOnce(ex, spans)).code).to.equal(ExportResultCode.SUCCESS);
    await until(() => receiver.rejectedRequests === 1, 2000, 'the dropped datagram');
    expect(receiver.spans).to.have.length(0);
    expect(receiver.rawPayloads).to.have.length(0);

    receiver.setBehaviour('ok');
    expect((await exportOnce(ex, spans)).code).to.equal(ExportResultCode.SUCCESS);
    expect((await receiver.waitForSpans(1))[0].name).to.equal('direct-export');
  });

  it('reset() clears everything and close() is idempotent', async () => {
    const ex = newExporter();
    await exportOnce(ex, await makeReadableSpans());
    await receiver.waitForSpans(1);
    receiver.reset();
    expect(receiver.spans).to.have.length(0);
    expect(receiver.rawPayloads).to.have.length(0);
    await receiver.close();
    await receiver.close();
  });
});
