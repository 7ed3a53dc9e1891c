import * as grpc from '@grpc/grpc-js';
import { BaseReceiver } from './base';
import { decodeOtlpProtobuf, encodeEmptyResponse } from './otlp-decode';
import type { Receiver, ReceiverTls } from './types';

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

// Raw-bytes service definition: keeps the exact request bytes for rawPayloads and decodes with protobufjs.
const traceServiceDefinition: grpc.ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    originalName: 'export',
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  },
};

function metadataToHeaders(md: grpc.Metadata): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, values] of Object.entries(md.toJSON())) {
    const strs = values.map((v) => (typeof v === 'string' ? v : Buffer.from(v).toString('base64')));
    out[k] = strs.length === 1 ? strs[0] : strs;
  }
  return out;
}

class OtlpGrpcReceiver extends BaseReceiver {
  readonly protocol = 'otlp-grpc' as const;
  private server = new grpc.Server();
  private _port = 0;
  private tls = false;
  private readonly response = encodeEmptyResponse();

  get port(): number {
    return this._port;
  }
  get url(): string {
    return this.tls ? `https://localhost:${this._port}` : `http://127.0.0.1:${this._port}`;
  }

  async listen(port = 0, tls?: ReceiverTls): Promise<this> {
    this.tls = !!tls;
    const credentials = tls
      ? grpc.ServerCredentials.createSsl(tls.clientCa ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.clientCa !== undefined)
      : grpc.ServerCredentials.createInsecure();
    this.server.addService(traceServiceDefinition, {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => this.onExport(call, callback),
    });
    this._port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`127.0.0.1:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p)));
    });
    return this;
  }

  private onExport(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void {
    const behaviour = this.behaviour;
    if (behaviour === 'unavailable') {
      this._rejected++;
      callback({ code: grpc.status.UNAVAILABLE, details: 'receiver set to unavailable' });
      return;
    }
    const body = call.request;
    const ok = this.record(body, metadataToHeaders(call.metadata), () => decodeOtlpProtobuf(body, this.protocol));
    if (!ok) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: this.decodeErrors[this.decodeErrors.length - 1] });
      return;
    }
    if (behaviour === 'hang') return; // never answered; close() cancels it
    if (typeof behaviour === 'object') {
      this.later(behaviour.slowMs, () => callback(null, this.response));
      return;
    }
    callback(null, this.response);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.shutdownCommon();
    // forceShutdown cancels in-flight (hung) calls and closes sessions at once.
    this.server.forceShutdown();
  }
}

/**
 * gRPC OTLP trace receiver on 127.0.0.1: insecure with url 'http://127.0.0.1:PORT', or with `tls`
 * (server-side TLS, no client certificates) url 'https://localhost:PORT'.
 */
export async function startOtlpGrpcReceiver(opts: { port?: number; tls?: ReceiverTls } = {}): Promise<Receiver> {
  return new OtlpGrpcReceiver().listen(opts.port ?? 0, opts.tls);
}
