import type * as http from 'node:http';
import { HttpReceiverBase, HttpStatusError, header, type HttpDecodeResult } from './http-base';
import { decodeOtlpJson, decodeOtlpProtobuf, encodeEmptyResponse } from './otlp-decode';
import type { Receiver, ReceiverTls } from './types';

class OtlpHttpReceiver extends HttpReceiverBase {
  readonly protocol = 'otlp-http' as const;
  protected readonly path = '/v1/traces';
  private readonly protoResponse = encodeEmptyResponse();

  protected decode(body: Buffer, headers: http.IncomingHttpHeaders): HttpDecodeResult {
    const type = (header(headers['content-type']) ?? '').split(';')[0].trim().toLowerCase();
    if (type === 'application/x-protobuf' || type === 'application/protobuf') {
      return {
        spans: decodeOtlpProtobuf(body, this.protocol),
        ok: { status: 200, contentType: 'application/x-protobuf', body: this.protoResponse },
      };
    }
    if (type === 'application/json') {
      return {
        spans: decodeOtlpJson(body.toString('utf8'), this.protocol),
        ok: { status: 200, contentType: 'application/json', body: '{}' },
      };
    }
    throw new HttpStatusError(415, `otlp-http: unsupported content-type ${JSON.stringify(type)}`);
  }
}

/**
 * OTLP/HTTP trace receiver: POST /v1/traces (protobuf or JSON, optionally gzip/deflate); url is
 * 'http://127.0.0.1:PORT/v1/traces', or with `tls` (HTTPS) 'https://localhost:PORT/v1/traces'.
 */
export async function startOtlpHttpReceiver(opts: { port?: number; tls?: ReceiverTls } = {}): Promise<Receiver> {
  return new OtlpHttpReceiver().listen(opts.port ?? 0, opts.tls);
}
