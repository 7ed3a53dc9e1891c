import { expect } from 'chai';
import { Metadata } from '@grpc/grpc-js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { startOtlpGrpcReceiver, type Receiver } from '../../helpers/receivers';
import {
  ExportResultCode,
  MARKER,
  emitSampleSpans,
  expectSampleShape,
  expectSpansMatch,
  exportOnce,
  makeReadableSpans,
  payloadsContain,
} from './fixtures';

describe('receivers: OTLP gRPC', function () {
  this.timeout(8000);
  let receiver: Receiver;
  let exporter: OTLPTraceExporter | undefined;

  beforeEach(async () => {
    receiver = await startOtlpGrpcReceiver();
  });
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    await receiver.close();
  });

  type GrpcConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;
  function newExporter(timeoutMillis = 2000, extra: Partial<GrpcConfig> = {}): OTLPTraceExporter {
    const metadata = new Metadata();
    metadata.set('x-receiver-test', 'yes');
    exporter = new OTLPTraceExporter({ url: receiver.url, timeoutMillis, metadata, ...extra });
    return exporter;
  }

  it('listens on 127.0.0.1 and reports an http:// url', () => {
    expect(receiver.protocol).to.equal('otlp-grpc');
    expect(receiver.port).to.be.greaterThan(0);
    expect(receiver.url).to.equal(`http://127.0.0.1:${receiver.port}`);
  });

  it('decodes a real OTLPTraceExporter (grpc) export field by field', async () => {
    const sent = await emitSampleSpans(newExporter());
    const spans = await receiver.waitForSpans(3);
    expectSpansMatch(spans, sent.all, 'otlp-grpc');
    expectSampleShape(spans, sent);
    expect(spans.find(s => s.name === 'GET /users/:id')!.attributes['test.strings']).to.deep.equal(['a', 'b']);
    expect(spans.find(s => s.name === 'GET /users/:id')!.resource).to.deep.include({ 'deployment.environment.name': 'test' });
    // SimpleSpanProcessor: one Export call per span, each with metadata.
    expect(receiver.requestHeaders).to.have.length(3);
    expect(receiver.requestHeaders[0]['x-receiver-test']).to.equal('yes');
    expect(String(receiver.requestHeaders[0]['user-agent'])).to.match(/OTel-OTLP-Exporter-JavaScript/);
    expect(payloadsContain(receiver, MARKER)).to.equal(true);
  });

  it('accepts gzip-compressed gRPC messages', async () => {
    const sent = await emitSampleSpans(newExporter(2000, { compression: 'gzip' as unknown as GrpcConfig['compression'] }));
    expectSpansMatch(await receiver.waitForSpans(3), sent.all, 'otlp-grpc');
    // grpc-js strips grpc-encoding/grpc-accept-encoding from call metadata and inflates before deserialize.
    expect(receiver.requestHeaders[0]).to.not.have.property('grpc-encoding');
    expect(payloadsContain(receiver, MARKER)).to.equal(true);
  });

  it("'unavailable' fails the export (UNAVAILABLE, nothing stored), then 'ok' lets the next one through", async () => {
    const ex = newExporter(500);
    const spans = await makeReadableSpans();
    receiver.setBehaviour('unavailable');
    const failed = await exportOnce(ex, spans);
    expect(failed.code).to.equal(ExportResultCode.FAILED);
    expect(String(failed.error)).to.match(/UNAVAILABLE|14/);
    expect(receiver.spans).to.have.length(0);
    expect(receiver.rawPayloads).to.have.length(0);
    expect(receiver.rejectedRequests).to.equal(1);

    receiver.setBehaviour('ok');
    const ok = await exportOnce(ex, spans);
    expect(ok.code).to.equal(ExportResultCode.SUCCESS);
    const got = await receiver.waitForSpans(1);
    expect(got[0].name).to.equal('direct-export');
  });

  it("'slow' answers after the delay; the export still succeeds", async () => {
    const ex = newExporter(3000);
    receiver.setBehaviour({ slowMs: 300 });
    const t0 = Date.now();
    const res = await exportOnce(ex, await makeReadableSpans());
    expect(res.code).to.equal(ExportResultCode.SUCCESS);
    expect(Date.now() - t0).to.be.at.least(250);
  });

  it("'hang' accepts but never answers, and close() still returns quickly", async () => {
    const ex = newExporter(5000);
    receiver.setBehaviour('hang');
    const pending = exportOnce(ex, await makeReadableSpans('hung'));
    await receiver.waitForSpans(1);
    const t0 = Date.now();
    await receiver.close();
    expect(Date.now() - t0).to.be.below(1000);
    const res = await pending; // the client sees the call cancelled
    expect(res.code).to.equal(ExportResultCode.FAILED);
  });
});
