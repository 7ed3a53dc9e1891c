/** Normalized shapes shared by every in-test span receiver. */

export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };

export type SpanKindName = 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER' | 'UNSPECIFIED';
export type StatusCodeName = 'UNSET' | 'OK' | 'ERROR';
export type ReceiverProtocol = 'otlp-grpc' | 'otlp-http' | 'jaeger-udp' | 'jaeger-http';

export interface ReceivedSpan {
  /** 32 lower-case hex. */
  traceId: string;
  /** 16 lower-case hex. */
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  /** '' if none (always '' for Jaeger: thrift has no trace state). */
  traceState: string;
  name: string;
  kind: SpanKindName;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Record<string, AttrValue>;
  events: { name: string; timeUnixNano: bigint; attributes: Record<string, AttrValue> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, AttrValue> }[];
  status: { code: StatusCodeName; message: string };
  /** Resource attributes. Jaeger: process.serviceName as 'service.name' plus the process tags. */
  resource: Record<string, AttrValue>;
  scope: { name: string; version: string };
  protocol: ReceiverProtocol;
}

export type ReceiverBehaviour = 'ok' | 'unavailable' | 'hang' | { slowMs: number };

/** Server key and certificate (PEM) for a TLS receiver; the certificate must be issued for localhost. */
export interface ReceiverTls {
  key: Buffer;
  cert: Buffer;
  /** Mutual TLS: client certificates must be signed by this CA (connections without one are refused). */
  clientCa?: Buffer;
}

export interface Receiver {
  readonly protocol: ReceiverProtocol;
  readonly port: number;
  /**
   * What to put in TRACING_ENDPOINT: 'http://127.0.0.1:PORT' (grpc), 'http://127.0.0.1:PORT/v1/traces'
   * (otlp-http), 'http://127.0.0.1:PORT/api/traces' (jaeger-http), '' for jaeger-udp. Started with `tls`,
   * 'https://localhost:PORT...' instead (the name in the certificate; the socket is still on 127.0.0.1).
   */
  readonly url: string;
  /** Everything received so far, in arrival order. */
  readonly spans: ReceivedSpan[];
  /** Every raw request body / packet received (after gzip/deflate decoding), for leak tests that grep bytes. */
  readonly rawPayloads: Buffer[];
  /** Per export request: gRPC metadata or HTTP headers (lower-case names). [] for UDP. */
  readonly requestHeaders: Record<string, string | string[]>[];
  /** Requests/packets refused while behaviour was 'unavailable' (not stored anywhere else). */
  readonly rejectedRequests: number;
  /** Payloads that arrived but could not be decoded (message per failure). */
  readonly decodeErrors: string[];
  /**
   * TLS handshakes that failed on the server side (message per failure), e.g. a client that does not
   * trust the certificate. HTTP receivers only: grpc-js does not report them, so [] for otlp-grpc.
   */
  readonly tlsErrors: string[];
  /**
   * Resolves with all spans once `predicate(spans)` is true (a number means: at least that many spans);
   * rejects after timeoutMs with a message listing span names received so far.
   */
  waitForSpans(countOrPredicate: number | ((spans: ReceivedSpan[]) => boolean), timeoutMs?: number): Promise<ReceivedSpan[]>;
  /**
   * Fault behaviour: 'ok' (default), 'unavailable' (gRPC UNAVAILABLE / HTTP 503, payload not stored),
   * 'hang' (payload stored, never answered), { slowMs } (payload stored, answered ok after slowMs).
   * For jaeger-udp there is no answer: 'unavailable' drops packets, the others just store.
   */
  setBehaviour(b: ReceiverBehaviour): void;
  /** Clears spans / rawPayloads / requestHeaders / rejectedRequests / decodeErrors / tlsErrors. */
  reset(): void;
  /** Stops listening and tears down in-flight (hung or slow) requests; never hangs. */
  close(): Promise<void>;
}
