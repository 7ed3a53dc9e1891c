/** In-test span receivers for the real export wire protocols, decoding into one normalized shape. */
export type { AttrValue, ReceivedSpan, Receiver, ReceiverBehaviour, ReceiverProtocol, ReceiverTls, SpanKindName, StatusCodeName } from './types';
export { startOtlpGrpcReceiver } from './otlp-grpc';
export { startOtlpHttpReceiver } from './otlp-http';
export { startJaegerUdpReceiver } from './jaeger-udp';
export { startJaegerHttpReceiver } from './jaeger-http';
export { decodeOtlpProtobuf, decodeOtlpJson, PROTO_DIR } from './otlp-decode';
export { checkOpenssl, createTestCertificates, type TestCertificates } from './test-certificates';
export { decodeJaegerAgentPacket, decodeJaegerBatch } from './jaeger-decode';
export { decodeOtlpMetrics, startOtlpMetricsGrpcReceiver, startOtlpMetricsHttpReceiver } from './otlp-metrics';
export type { MetricsReceiver, ReceivedExemplar, ReceivedMetricPoint, ReceivedMetricsRequest } from './otlp-metrics';
