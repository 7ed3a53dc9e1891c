/**
 * An in-test OTLP metrics receiver: ExportMetricsServiceRequest over gRPC (MetricsService/Export) and
 * HTTP/protobuf (POST /v1/metrics), decoded with protobufjs and opentelemetry-proto v1.7.0's .proto
 * files (./proto), exemplars included. Independent of the agent's own encoder, so it is its witness.
 */
import * as grpc from '@grpc/grpc-js';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as protobuf from 'protobufjs';
import { attrs } from './otlp-decode';
import { PROTO_DIR } from './otlp-decode';
import type { AttrValue } from './types';

export interface ReceivedExemplar {
  traceId: string;
  spanId: string;
  value: number;
  timeUnixNano: bigint;
}

export interface ReceivedMetricPoint {
  metric: string;
  unit: string;
  kind: 'histogram' | 'sum' | 'gauge' | 'other';
  /** Sums: 2 is cumulative. */
  temporality?: number;
  monotonic?: boolean;
  attributes: Record<string, AttrValue>;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  bounds?: number[];
  value?: number;
  exemplars: ReceivedExemplar[];
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
}

export interface ReceivedMetricsRequest {
  protocol: 'otlp-grpc' | 'otlp-http';
  resource: Record<string, AttrValue>;
  scopes: string[];
  points: ReceivedMetricPoint[];
  headers: Record<string, string | string[] | undefined>;
}

let root: protobuf.Root | undefined;
function requestType(): protobuf.Type {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin: string, target: string) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
    r.loadSync('opentelemetry/proto/collector/metrics/v1/metrics_service.proto', { keepCase: false });
    r.resolveAll();
    root = r;
  }
  return root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
}

type Wire = Record<string, any>;

const hex = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('hex');
const num = (value: string | number | undefined) => Number(value ?? 0);

function exemplars(list: Wire[] | undefined): ReceivedExemplar[] {
  return (list ?? []).map((e) => ({
    traceId: hex(e.traceId),
    spanId: hex(e.spanId),
    value: e.asDouble ?? num(e.asInt),
    timeUnixNano: BigInt(e.timeUnixNano ?? 0),
  }));
}

/** Decodes one ExportMetricsServiceRequest into flat points. */
export function decodeOtlpMetrics(
  body: Uint8Array,
  protocol: 'otlp-grpc' | 'otlp-http',
  headers: ReceivedMetricsRequest['headers'] = {},
): ReceivedMetricsRequest[] {
  const type = requestType();
  const obj = type.toObject(type.decode(body), { longs: String, enums: Number, defaults: false, arrays: true });
  return (obj.resourceMetrics ?? []).map((rm: Wire) => {
    const points: ReceivedMetricPoint[] = [];
    const scopes: string[] = [];
    for (const sm of rm.scopeMetrics ?? []) {
      scopes.push(sm.scope?.name ?? '');
      for (const m of sm.metrics ?? []) {
        const base = { metric: m.name ?? '', unit: m.unit ?? '' };
        if (m.histogram) {
          for (const p of m.histogram.dataPoints ?? []) {
            points.push({
              ...base,
              kind: 'histogram',
              temporality: m.histogram.aggregationTemporality,
              attributes: attrs(p.attributes),
              count: num(p.count),
              sum: p.sum,
              bucketCounts: (p.bucketCounts ?? []).map(num),
              bounds: p.explicitBounds ?? [],
              exemplars: exemplars(p.exemplars),
              startTimeUnixNano: BigInt(p.startTimeUnixNano ?? 0),
              timeUnixNano: BigInt(p.timeUnixNano ?? 0),
            });
          }
        } else {
          const data = m.sum ?? m.gauge;
          for (const p of data?.dataPoints ?? []) {
            points.push({
              ...base,
              kind: m.sum ? 'sum' : m.gauge ? 'gauge' : 'other',
              temporality: m.sum?.aggregationTemporality,
              monotonic: m.sum?.isMonotonic ?? false,
              attributes: attrs(p.attributes),
              value: p.asDouble ?? num(p.asInt),
              exemplars: exemplars(p.exemplars),
              startTimeUnixNano: BigInt(p.startTimeUnixNano ?? 0),
              timeUnixNano: BigInt(p.timeUnixNano ?? 0),
            });
          }
        }
      }
    }
    return { protocol, resource: attrs(rm.resource?.attributes), scopes, points, headers };
  });
}

export interface MetricsReceiver {
  readonly url: string;
  readonly requests: ReceivedMetricsRequest[];
  readonly decodeErrors: string[];
  /** Resolves with the requests once `predicate` holds for them. */
  waitFor(predicate: (requests: ReceivedMetricsRequest[]) => boolean, timeoutMs?: number, what?: string): Promise<ReceivedMetricsRequest[]>;
  close(): Promise<void>;
}

function receiverState() {
  const requests: ReceivedMetricsRequest[] = [];
  const decodeErrors: string[] = [];
  const waiters = new Set<() => void>();
  const add = (body: Uint8Array, protocol: 'otlp-grpc' | 'otlp-http', headers: ReceivedMetricsRequest['headers']): boolean => {
    try {
      requests.push(...decodeOtlpMetrics(body, protocol, headers));
    } catch (err) {
      decodeErrors.push(String(err));
      return false;
    }
    for (const waiter of [...waiters]) waiter();
    return true;
  };
  const waitFor = (predicate: (r: ReceivedMetricsRequest[]) => boolean, timeoutMs = 20_000, what = 'the expected metrics') =>
    new Promise<ReceivedMetricsRequest[]>((resolve, reject) => {
      const check = () => {
        if (!predicate(requests)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(requests.slice());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; received ${requests.length} metrics request(s)${decodeErrors.length ? `, decode errors: ${decodeErrors.join('; ')}` : ''}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { requests, decodeErrors, add, waitFor };
}

export async function startOtlpMetricsGrpcReceiver(): Promise<MetricsReceiver> {
  const state = receiverState();
  const server = new grpc.Server();
  const identity = (b: Buffer) => b;
  server.addService(
    {
      Export: {
        path: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
        requestStream: false,
        responseStream: false,
        originalName: 'export',
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const headers = Object.fromEntries(Object.entries(call.metadata.toJSON()).map(([k, v]) => [k, v.map(String).join(',')]));
        if (state.add(call.request, 'otlp-grpc', headers)) callback(null, Buffer.alloc(0));
        else callback({ code: grpc.status.INVALID_ARGUMENT, details: 'undecodable' });
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    requests: state.requests,
    decodeErrors: state.decodeErrors,
    waitFor: state.waitFor,
    async close() {
      server.forceShutdown();
    },
  };
}

export async function startOtlpMetricsHttpReceiver(): Promise<MetricsReceiver> {
  const state = receiverState();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      const ok =
        request.method === 'POST' &&
        request.url === '/v1/metrics' &&
        request.headers['content-type'] === 'application/x-protobuf' &&
        state.add(body, 'otlp-http', request.headers);
      response.writeHead(ok ? 200 : 400, { 'Content-Type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1/metrics`,
    requests: state.requests,
    decodeErrors: state.decodeErrors,
    waitFor: state.waitFor,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
