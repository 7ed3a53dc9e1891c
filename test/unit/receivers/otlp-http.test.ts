import { expect } from 'chai';
import { startOtlpHttpReceiver } from '../../helpers/receivers';
import { exportOnce, makeReadableSpans } from './fixtures';
import {
  expectEndpoint,
  expectHangThenQuickClose,
  expectSampleRoundTrip,
  expectSlowStillSucceeds,
  expectUnavailableThenOk,
  protoExporter,
  useReceiver,
  type ProtoConfig,
} from './harness';

async function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe('receivers: OTLP HTTP (protobuf / JSON)', function () {
  this.timeout(8000);
  const h = useReceiver(() => startOtlpHttpReceiver(), protoExporter);

  it('reports the /v1/traces url', () => {
    expectEndpoint(h.receiver, 'otlp-http', (port) => `http://127.0.0.1:${port}/v1/traces`);
  });

  it('decodes a real OTLPTraceExporter (proto) export field by field', async () => {
    const receiver = h.receiver;
    await expectSampleRoundTrip(receiver, h.newExporter(), 'otlp-http');
    const headers = receiver.requestHeaders[0];
    expect(headers['content-type']).to.equal('application/x-protobuf');
    expect(headers['x-receiver-test']).to.equal('yes');
  });

  it('accepts gzip content-encoding (rawPayloads hold the inflated bytes)', async () => {
    const receiver = h.receiver;
    await expectSampleRoundTrip(receiver, h.newExporter({ compression: 'gzip' as unknown as ProtoConfig['compression'] }), 'otlp-http');
    expect(receiver.requestHeaders[0]['content-encoding']).to.equal('gzip');
  });

  it("'unavailable' answers 503 so the export FAILS, then 'ok' lets the next one through", async () => {
    // timeoutMillis below the exporter's first retry backoff (~1 s): it gives up after one attempt.
    await expectUnavailableThenOk(h.receiver, h.newExporter({ timeoutMillis: 500 }));
  });

  it("'hang' accepts but never answers, and close() still returns quickly", async () => {
    // Short timeout: after close() the exporter retries the reset request (backoff ~1 s) within it.
    await expectHangThenQuickClose(h.receiver, h.newExporter({ timeoutMillis: 1000 }));
  });

  it("'slow' answers after the delay; the export still succeeds", async () => {
    await expectSlowStillSucceeds(h.receiver, h.newExporter({ timeoutMillis: 3000 }));
  });

  it('waitForSpans: predicate form resolves; a timeout lists the span names received so far', async () => {
    const receiver = h.receiver;
    await exportOnce(h.newExporter(), await makeReadableSpans('only-one'));
    const got = await receiver.waitForSpans((s) => s.some((x) => x.name === 'only-one'), 2000);
    expect(got).to.have.length(1);
    const err = await receiver.waitForSpans(2, 150).then(
      () => expect.fail('should have timed out'),
      (e: Error) => e,
    );
    expect(err.message).to.include('received 1 span(s): only-one [INTERNAL]');
  });

  it('decodes OTLP/JSON with hex ids, string int64s, enum numbers, nested values and bytes', async () => {
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'json-svc' } }] },
          scopeSpans: [
            {
              scope: { name: 'json-scope', version: '0.1' },
              spans: [
                {
                  traceId: '5B8EFFF798038103D269B633813FC60C',
                  spanId: 'EEE19B7EC3C1B174',
                  parentSpanId: 'EEE19B7EC3C1B173',
                  traceState: 'k=v',
                  name: 'json-span',
                  kind: 3,
                  startTimeUnixNano: '1544712660000000001',
                  endTimeUnixNano: '1544712661000000002',
                  attributes: [
                    { key: 'i', value: { intValue: '42' } },
                    { key: 'big', value: { intValue: '9007199254740993' } },
                    { key: 'd', value: { doubleValue: 0.5 } },
                    { key: 'b', value: { boolValue: false } },
                    { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: 1 }] } } },
                    { key: 'kv', value: { kvlistValue: { values: [{ key: 'inner', value: { stringValue: 'y' } }] } } },
                    { key: 'bytes', value: { bytesValue: Buffer.from('hi').toString('base64') } },
                    { key: 'empty', value: {} },
                  ],
                  events: [{ timeUnixNano: '1544712660500000000', name: 'ev', attributes: [{ key: 'k', value: { stringValue: 'v' } }] }],
                  links: [{ traceId: '00000000000000000000000000000001', spanId: '0000000000000002', attributes: [] }],
                  status: { code: 'STATUS_CODE_OK', message: '' },
                },
              ],
            },
          ],
        },
      ],
    };
    const receiver = h.receiver;
    const res = await post(receiver.url, JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).to.equal(200);
    expect(res.body.toString()).to.equal('{}');
    const [s] = await receiver.waitForSpans(1);
    expect(s).to.deep.equal({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      traceState: 'k=v',
      name: 'json-span',
      kind: 'CLIENT',
      startTimeUnixNano: 1544712660000000001n,
      endTimeUnixNano: 1544712661000000002n,
      attributes: {
        i: 42,
        big: '9007199254740993',
        d: 0.5,
        b: false,
        arr: ['x', 1],
        kv: { inner: 'y' },
        bytes: Buffer.from('hi').toString('base64'),
        empty: null,
      },
      events: [{ name: 'ev', timeUnixNano: 1544712660500000000n, attributes: { k: 'v' } }],
      links: [{ traceId: '00000000000000000000000000000001', spanId: '0000000000000002', attributes: {} }],
      status: { code: 'OK', message: '' },
      resource: { 'service.name': 'json-svc' },
      scope: { name: 'json-scope', version: '0.1' },
      protocol: 'otlp-http',
    });
  });

  it('answers 404 for other paths, 415 for other content types, 400 for garbage (recorded in decodeErrors)', async () => {
    const receiver = h.receiver;
    const base = `http://127.0.0.1:${receiver.port}`;
    expect((await post(`${base}/v1/metrics`, 'x', { 'content-type': 'application/x-protobuf' })).status).to.equal(404);
    expect((await post(receiver.url, 'x', { 'content-type': 'text/plain' })).status).to.equal(415);
    const bad = await post(receiver.url, Buffer.from([0x0a, 0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' });
    expect(bad.status).to.equal(400);
    expect(receiver.decodeErrors).to.have.length(2);
    expect(receiver.spans).to.have.length(0);
  });
});
