import type * as http from 'node:http';
import { HttpReceiverBase, HttpStatusError, header, type HttpDecodeResult } from './http-base';
import { decodeJaegerBatch } from './jaeger-decode';
import type { Receiver, ReceiverTls } from './types';

class JaegerHttpReceiver extends HttpReceiverBase {
  readonly protocol = 'jaeger-http' as const;
  protected readonly path = '/api/traces';

  protected decode(body: Buffer, headers: http.IncomingHttpHeaders): HttpDecodeResult {
    const type = (header(headers['content-type']) ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/x-thrift' && type !== 'application/vnd.apache.thrift.binary') {
      throw new HttpStatusError(415, `jaeger-http: unsupported content-type ${JSON.stringify(type)} (want application/x-thrift)`);
    }
    // The Jaeger collector answers 202 Accepted with an empty body.
    return { spans: decodeJaegerBatch(body, this.protocol), ok: { status: 202 } };
  }
}

/** Jaeger collector endpoint: POST /api/traces with a thrift binary Batch; url is 'http://127.0.0.1:PORT/api/traces'
 * (with `tls`: 'https://localhost:PORT/api/traces'). */
export async function startJaegerHttpReceiver(opts: { port?: number; tls?: ReceiverTls } = {}): Promise<Receiver> {
  return new JaegerHttpReceiver().listen(opts.port ?? 0, opts.tls);
}
