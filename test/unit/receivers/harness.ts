/**
 * Shared suite plumbing for the receiver round-trip tests: one receiver per test with a real exporter
 * pointed at it (setup/teardown), and the checks every receiver gets (round trip, fault behaviours).
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { OTLPTraceExporter as OTLPGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTestCertificates, type ReceivedSpan, type Receiver, type ReceiverProtocol, type TestCertificates } from '../../helpers/receivers';
import {
  ExportResultCode,
  MARKER,
  emitSampleSpans,
  expectSampleShape,
  expectSpansMatch,
  exportOnce,
  makeReadableSpans,
  payloadsContain,
  until,
  type ExpectOptions,
} from './fixtures';

export type GrpcConfig = NonNullable<ConstructorParameters<typeof OTLPGrpcTraceExporter>[0]>;
export type ProtoConfig = NonNullable<ConstructorParameters<typeof OTLPProtoTraceExporter>[0]>;

/** OTLP gRPC exporter for `receiver`, sending the metadata x-receiver-test: yes. */
export function grpcExporter(receiver: Receiver, timeoutMillis = 2000, extra: Partial<GrpcConfig> = {}): OTLPGrpcTraceExporter {
  const metadata = new Metadata();
  metadata.set('x-receiver-test', 'yes');
  return new OTLPGrpcTraceExporter({ url: receiver.url, timeoutMillis, metadata, ...extra });
}

/** OTLP http/protobuf exporter for `receiver`, sending the header x-receiver-test: yes. */
export function protoExporter(receiver: Receiver, extra: Partial<ProtoConfig> = {}): OTLPProtoTraceExporter {
  return new OTLPProtoTraceExporter({ url: receiver.url, timeoutMillis: 2000, headers: { 'x-receiver-test': 'yes' }, ...extra });
}

export interface ReceiverHarness<A extends unknown[], E extends SpanExporter> {
  /** The current test's receiver. */
  readonly receiver: Receiver;
  /** A new exporter aimed at the receiver; shut down after the test (the last one made). */
  newExporter(...args: A): E;
}

/**
 * Call inside a describe(): starts a receiver before each test; after it, shuts the exporter down and
 * closes the receiver. `create` builds the suite's exporter for the receiver.
 */
export function useReceiver<A extends unknown[], E extends SpanExporter>(
  start: () => Promise<Receiver>,
  create: (receiver: Receiver, ...args: A) => E,
): ReceiverHarness<A, E> {
  let receiver: Receiver | undefined;
  let exporter: E | undefined;
  beforeEach(async () => {
    receiver = await start();
  });
  afterEach(async () => {
    await exporter?.shutdown();
    exporter = undefined;
    await receiver?.close();
  });
  const current = (): Receiver => receiver ?? expect.fail('no receiver: useReceiver() is only usable inside a test');
  return {
    get receiver(): Receiver {
      return current();
    },
    newExporter(...args: A): E {
      exporter = create(current(), ...args);
      return exporter;
    },
  };
}

/**
 * Call inside a describe(): creates a throwaway CA and localhost server certificate before the suite
 * (fails it with a clear message when openssl is missing) and removes them after.
 */
export function useTestCertificates(): { readonly certs: TestCertificates } {
  let dir: string | undefined;
  let certs: TestCertificates | undefined;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receiver-tls-'));
    certs = createTestCertificates(dir);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get certs(): TestCertificates {
      return certs ?? expect.fail('no certificates: useTestCertificates() is only usable inside a test');
    },
  };
}

export function expectEndpoint(receiver: Receiver, protocol: ReceiverProtocol, url: (port: number) => string): void {
  expect(receiver.protocol).to.equal(protocol);
  expect(receiver.port).to.be.greaterThan(0);
  expect(receiver.url).to.equal(url(receiver.port));
}

/**
 * Emits the sample spans through `exporter` and checks them field by field and by shape, and that the
 * marker value is in the raw payloads. Returns the received spans for protocol-specific checks.
 */
export async function expectSampleRoundTrip(
  receiver: Receiver,
  exporter: SpanExporter,
  protocol: ReceiverProtocol,
  opts: ExpectOptions = {},
): Promise<ReceivedSpan[]> {
  const sent = await emitSampleSpans(exporter);
  const spans = await receiver.waitForSpans(3);
  expectSpansMatch(spans, sent.all, protocol, opts);
  expectSampleShape(spans, sent);
  expect(payloadsContain(receiver, MARKER)).to.equal(true);
  return spans;
}

export interface UnavailableOptions {
  /** false where the exporter cannot notice (UDP): the export succeeds and the datagram is dropped. */
  exportFails?: boolean;
  /** What the failed export's error must say. */
  error?: RegExp;
}

/** 'unavailable' refuses one export (nothing stored, one rejected request), then 'ok' lets the next through. */
export async function expectUnavailableThenOk(receiver: Receiver, exporter: SpanExporter, opts: UnavailableOptions = {}): Promise<void> {
  const spans = await makeReadableSpans();
  receiver.setBehaviour('unavailable');
  const refused = await exportOnce(exporter, spans);
  if (opts.exportFails === false) {
    expect(refused.code).to.equal(ExportResultCode.SUCCESS);
    await until(() => receiver.rejectedRequests === 1, 2000, 'the dropped datagram');
  } else {
    expect(refused.code).to.equal(ExportResultCode.FAILED);
    if (opts.error) expect(String(refused.error)).to.match(opts.error);
  }
  expect(receiver.spans).to.have.length(0);
  expect(receiver.rawPayloads).to.have.length(0);
  expect(receiver.rejectedRequests).to.equal(1);

  receiver.setBehaviour('ok');
  expect((await exportOnce(exporter, spans)).code).to.equal(ExportResultCode.SUCCESS);
  expect((await receiver.waitForSpans(1))[0].name).to.equal('direct-export');
}

/** 'slow' answers after the delay and the export still succeeds. */
export async function expectSlowStillSucceeds(receiver: Receiver, exporter: SpanExporter): Promise<void> {
  receiver.setBehaviour({ slowMs: 300 });
  const t0 = Date.now();
  expect((await exportOnce(exporter, await makeReadableSpans())).code).to.equal(ExportResultCode.SUCCESS);
  expect(Date.now() - t0).to.be.at.least(250);
}

/** 'hang' stores the export but never answers; close() still returns quickly and the export fails. */
export async function expectHangThenQuickClose(receiver: Receiver, exporter: SpanExporter): Promise<void> {
  receiver.setBehaviour('hang');
  const pending = exportOnce(exporter, await makeReadableSpans('hung'));
  await receiver.waitForSpans(1);
  const t0 = Date.now();
  await receiver.close();
  expect(Date.now() - t0).to.be.below(1000);
  expect((await pending).code).to.equal(ExportResultCode.FAILED); // the call is cancelled / the socket reset
}
