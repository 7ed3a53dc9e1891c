import { expect } from 'chai';
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { startJaegerHttpReceiver, type Receiver } from '../../helpers/receivers';
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
} from './fixtures';

describe('receivers: Jaeger HTTP (thrift binary Batch on /api/traces)', function () {
  this.timeout(8000);
  isolateJaegerEnv();
  let receiver: Receiver;
  let exporter: JaegerExporter | undefined;

  beforeEach(async () => {
    receiver = await startJaegerHttpReceiver();
  });
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    await receiver.close();
  });

  function newExporter(): JaegerExporter {
    exporter = new JaegerExporter({
      endpoint: receiver.url,
      username: 'user',
      password: 'secret',
      host: '127.0.0.1',
      port: receiver.port,
      tags: [{ key: 'host.name', value: 'test-host' }],
      flushTimeout: 1000,
    });
    return exporter;
  }

  it('reports the /api/traces url', () => {
    expect(receiver.protocol).to.equal('jaeger-http');
    expect(receiver.url).to.equal(`http://127.0.0.1:${receiver.port}/api/traces`);
  });

  it('decodes a real JaegerExporter HTTP export field by field', async () => {
    const sent = await emitSampleSpans(newExporter());
    const spans = await receiver.waitForSpans(3);
    expectSpansMatch(spans, sent.all, 'jaeger-http', { jaeger: true, resource: { 'host.name': 'test-host' } });
    expectSampleShape(spans, sent);
    const h = receiver.requestHeaders[0];
    expect(h['content-type']).to.equal('application/x-thrift');
    expect(h.authorization).to.equal(`Basic ${Buffer.from('user:secret').toString('base64')}`);
    expect(payloadsContain(receiver, MARKER)).to.equal(true);
  });

  it("'unavailable' answers 503 so the export FAILS, then 'ok' lets the next one through", async () => {
    const ex = newExporter();
    const spans = await makeReadableSpans();
    receiver.setBehaviour('unavailable');
    const failed = await exportOnce(ex, spans);
    expect(failed.code).to.equal(ExportResultCode.FAILED);
    expect(String(failed.error)).to.match(/HTTP 503/);
    expect(receiver.rawPayloads).to.have.length(0);

    receiver.setBehaviour('ok');
    expect((await exportOnce(ex, spans)).code).to.equal(ExportResultCode.SUCCESS);
    expect((await receiver.waitForSpans(1))[0].name).to.equal('direct-export');
  });

  it("'hang' accepts but never answers, and close() still returns quickly", async () => {
    const ex = newExporter();
    receiver.setBehaviour('hang');
    const pending = exportOnce(ex, await makeReadableSpans('hung'));
    await receiver.waitForSpans(1);
    const t0 = Date.now();
    await receiver.close();
    expect(Date.now() - t0).to.be.below(1000);
    expect((await pending).code).to.equal(ExportResultCode.FAILED); // socket reset
  });
});
