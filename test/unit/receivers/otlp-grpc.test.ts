import { expect } from 'chai';
import { startOtlpGrpcReceiver } from '../../helpers/receivers';
import {
  expectEndpoint,
  expectHangThenQuickClose,
  expectSampleRoundTrip,
  expectSlowStillSucceeds,
  expectUnavailableThenOk,
  grpcExporter,
  useReceiver,
  type GrpcConfig,
} from './harness';

describe('receivers: OTLP gRPC', function () {
  this.timeout(8000);
  const h = useReceiver(() => startOtlpGrpcReceiver(), grpcExporter);

  it('listens on 127.0.0.1 and reports an http:// url', () => {
    expectEndpoint(h.receiver, 'otlp-grpc', (port) => `http://127.0.0.1:${port}`);
  });

  it('decodes a real OTLPTraceExporter (grpc) export field by field', async () => {
    const receiver = h.receiver;
    const spans = await expectSampleRoundTrip(receiver, h.newExporter(), 'otlp-grpc');
    expect(spans.find((s) => s.name === 'GET /users/:id')!.attributes['test.strings']).to.deep.equal(['a', 'b']);
    expect(spans.find((s) => s.name === 'GET /users/:id')!.resource).to.deep.include({ 'deployment.environment.name': 'test' });
    // SimpleSpanProcessor: one Export call per span, each with metadata.
    expect(receiver.requestHeaders).to.have.length(3);
    expect(receiver.requestHeaders[0]['x-receiver-test']).to.equal('yes');
    expect(String(receiver.requestHeaders[0]['user-agent'])).to.match(/OTel-OTLP-Exporter-JavaScript/);
  });

  it('accepts gzip-compressed gRPC messages', async () => {
    const receiver = h.receiver;
    await expectSampleRoundTrip(receiver, h.newExporter(2000, { compression: 'gzip' as unknown as GrpcConfig['compression'] }), 'otlp-grpc');
    // grpc-js strips grpc-encoding/grpc-accept-encoding from call metadata and inflates before deserialize.
    expect(receiver.requestHeaders[0]).to.not.have.property('grpc-encoding');
  });

  it("'unavailable' fails the export (UNAVAILABLE, nothing stored), then 'ok' lets the next one through", async () => {
    await expectUnavailableThenOk(h.receiver, h.newExporter(500), { error: /UNAVAILABLE|14/ });
  });

  it("'slow' answers after the delay; the export still succeeds", async () => {
    await expectSlowStillSucceeds(h.receiver, h.newExporter(3000));
  });

  it("'hang' accepts but never answers, and close() still returns quickly", async () => {
    await expectHangThenQuickClose(h.receiver, h.newExporter(5000));
  });
});
