import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeJaegerBatch } from '../../helpers/receivers';

// Hand-built thrift Batch covering what exporter-jaeger never sends: LONG/BINARY tags, a CHILD_OF reference
// instead of parentSpanId, ids with the sign bit set, a log without an `event` field, otel.scope.* tags.
interface RW {
  rw: { toBuffer(v: unknown): { err: Error | null; value: Buffer } };
}
const { Thrift } = require('thriftrw') as { Thrift: new (o: { source: string; allowOptionalArguments: boolean }) => { Batch: RW } };

function jaegerThrift(): { Batch: RW } {
  const dir = path.dirname(require.resolve('jaeger-client/package.json', { paths: [path.dirname(require.resolve('@opentelemetry/exporter-jaeger'))] }));
  return new Thrift({
    source: fs.readFileSync(path.join(dir, 'dist/src/jaeger-idl/thrift/jaeger.thrift'), 'ascii'),
    allowOptionalArguments: true,
  });
}

const i64 = (hex: string): Buffer => Buffer.from(hex.padStart(16, '0'), 'hex');
const tag = (key: string, vType: string, v: Record<string, unknown>) => ({ key, vType, ...v });

describe('receivers: Jaeger thrift decoding edge cases', () => {
  it('converts signed ids to unsigned hex, maps LONG/BINARY tags, CHILD_OF refs and scope tags', () => {
    const batch = {
      process: { serviceName: 'edge-svc', tags: [tag('ip', 'STRING', { vStr: '10.0.0.1' })] },
      spans: [
        {
          traceIdHigh: i64('ffffffffffffffff'),
          traceIdLow: i64('8000000000000001'),
          spanId: i64('fedcba9876543210'),
          parentSpanId: i64('0'),
          operationName: 'edge',
          references: [
            { refType: 'CHILD_OF', traceIdHigh: i64('ffffffffffffffff'), traceIdLow: i64('8000000000000001'), spanId: i64('1') },
            { refType: 'FOLLOWS_FROM', traceIdHigh: i64('0'), traceIdLow: i64('2'), spanId: i64('3') },
          ],
          flags: 1,
          startTime: i64((1_700_000_000_000_000).toString(16)),
          duration: i64((1500).toString(16)),
          tags: [
            tag('small', 'LONG', { vLong: i64('2a') }),
            tag('negative', 'LONG', { vLong: i64('ffffffffffffffff') }),
            tag('huge', 'LONG', { vLong: i64('7fffffffffffffff') }),
            tag('blob', 'BINARY', { vBinary: Buffer.from([1, 2, 3]) }),
            tag('span.kind', 'STRING', { vStr: 'consumer' }),
            tag('error', 'BOOL', { vBool: true }),
            tag('otel.scope.name', 'STRING', { vStr: 'edge-scope' }),
            tag('otel.scope.version', 'STRING', { vStr: '9' }),
          ],
          logs: [{ timestamp: i64((1_700_000_000_000_500).toString(16)), fields: [tag('message', 'STRING', { vStr: 'hi' })] }],
        },
      ],
    };
    const encoded = jaegerThrift().Batch.rw.toBuffer(batch);
    expect(encoded.err).to.equal(null);
    const [s] = decodeJaegerBatch(encoded.value);
    expect(s).to.deep.equal({
      traceId: 'ffffffffffffffff8000000000000001',
      spanId: 'fedcba9876543210',
      parentSpanId: '0000000000000001',
      traceState: '',
      name: 'edge',
      kind: 'CONSUMER',
      startTimeUnixNano: 1_700_000_000_000_000_000n,
      endTimeUnixNano: 1_700_000_000_001_500_000n,
      attributes: { small: 42, negative: -1, huge: '9223372036854775807', blob: 'AQID' },
      events: [{ name: '', timeUnixNano: 1_700_000_000_000_500_000n, attributes: { message: 'hi' } }],
      links: [{ traceId: '00000000000000000000000000000002', spanId: '0000000000000003', attributes: {} }],
      status: { code: 'ERROR', message: '' },
      resource: { 'service.name': 'edge-svc', ip: '10.0.0.1' },
      scope: { name: 'edge-scope', version: '9' },
      protocol: 'jaeger-http',
    });
  });

  it('throws a descriptive error on garbage', () => {
    expect(() => decodeJaegerBatch(Buffer.from([1, 2, 3]))).to.throw(/jaeger: cannot decode thrift Batch/);
  });
});
