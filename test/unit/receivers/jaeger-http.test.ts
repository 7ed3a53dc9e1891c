import { expect } from 'chai';
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { startJaegerHttpReceiver } from '../../helpers/receivers';
import { isolateJaegerEnv } from './fixtures';
import { expectEndpoint, expectHangThenQuickClose, expectSampleRoundTrip, expectUnavailableThenOk, useReceiver } from './harness';

describe('receivers: Jaeger HTTP (thrift binary Batch on /api/traces)', function () {
  this.timeout(8000);
  isolateJaegerEnv();
  const h = useReceiver(
    () => startJaegerHttpReceiver(),
    (receiver) =>
      new JaegerExporter({
        endpoint: receiver.url,
        username: 'user',
        password: 'secret',
        host: '127.0.0.1',
        port: receiver.port,
        tags: [{ key: 'host.name', value: 'test-host' }],
        flushTimeout: 1000,
      }),
  );

  it('reports the /api/traces url', () => {
    expectEndpoint(h.receiver, 'jaeger-http', (port) => `http://127.0.0.1:${port}/api/traces`);
  });

  it('decodes a real JaegerExporter HTTP export field by field', async () => {
    await expectSampleRoundTrip(h.receiver, h.newExporter(), 'jaeger-http', { jaeger: true, resource: { 'host.name': 'test-host' } });
    const headers = h.receiver.requestHeaders[0];
    expect(headers['content-type']).to.equal('application/x-thrift');
    expect(headers.authorization).to.equal(`Basic ${Buffer.from('user:secret').toString('base64')}`);
  });

  it("'unavailable' answers 503 so the export FAILS, then 'ok' lets the next one through", async () => {
    await expectUnavailableThenOk(h.receiver, h.newExporter(), { error: /HTTP 503/ });
  });

  it("'hang' accepts but never answers, and close() still returns quickly", async () => {
    await expectHangThenQuickClose(h.receiver, h.newExporter());
  });
});
