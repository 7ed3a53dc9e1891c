/**
 * TLS and headers toward the collector, end to end: real `node -r register` processes exporting to
 * in-test receivers that serve a throwaway CA's certificate for localhost.
 */
import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startApp, getJson } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { createTestCertificates, startOtlpGrpcReceiver, startOtlpHttpReceiver } from '../helpers/receivers';
import type { ReceivedSpan, Receiver, ReceiverTls, TestCertificates } from '../helpers/receivers';

const FAST_EXPORT = { TRACING_SCHEDULE_DELAY_MS: '50', TRACING_LOG_LEVEL: 'warn' };
/** How long "no span arrives" is watched for. */
const QUIET_MS = 4000;

const PROTOCOLS = [
  { exporter: 'otlp', label: 'OTLP gRPC', start: startOtlpGrpcReceiver },
  { exporter: 'otlp-http', label: 'OTLP http/protobuf', start: startOtlpHttpReceiver },
] as const;

function serverSpan(spans: ReceivedSpan[], route: string): ReceivedSpan | undefined {
  return spans.find((span) => span.kind === 'SERVER' && span.attributes['http.route'] === route);
}

const agentLines = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('otel-agent:'));
const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

describe('TLS and headers toward the collector (integration)', function () {
  this.timeout(60_000);
  let certDir: string;
  let certs: TestCertificates;
  let tls: ReceiverTls;
  /** The test's receiver and app (one of each), stopped after it. */
  const running: { receiver?: Receiver; app?: RunningApp } = {};

  before(() => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-tls-'));
    certs = createTestCertificates(certDir); // throws (fails the suite) when openssl is missing
    tls = { key: certs.key, cert: certs.cert };
  });
  after(() => {
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await running.app?.stop('SIGKILL');
    await running.receiver?.close();
    running.app = running.receiver = undefined;
  });

  const launchReceiver = async (starting: Promise<Receiver>): Promise<Receiver> => (running.receiver = await starting);
  const launchApp = (started: RunningApp): RunningApp => (running.app = started);

  for (const { exporter, label, start } of PROTOCOLS) {
    describe(label, () => {
      it('exports over TLS to https://localhost with TRACING_CA_FILE naming the CA', async () => {
        const receiver = await launchReceiver(start({ tls }));
        expect(receiver.url).to.match(/^https:\/\/localhost:\d+/);
        const app = launchApp(
          startApp(fixture('express5-app.js'), {
            env: { ...FAST_EXPORT, TRACING_EXPORTER: exporter, TRACING_ENDPOINT: receiver.url, TRACING_CA_FILE: certs.caFile },
          }),
        );
        const port = await app.port();
        expect((await getJson(`http://127.0.0.1:${port}/users/42`)).status).to.equal(200);
        const spans = await receiver
          .waitForSpans((all) => serverSpan(all, '/users/:id') !== undefined, 15_000)
          .catch((err: Error) => {
            throw new Error(`${err.message}\napp stderr:\n${app.stderr}`);
          });
        expect(serverSpan(spans, '/users/:id')!.name).to.equal('GET /users/:id');
        expect(receiver.tlsErrors, 'TLS handshake errors on the receiver').to.deep.equal([]);
        expect(
          agentLines(app.stderr).filter((line) => /export/i.test(line)),
          app.stderr,
        ).to.deep.equal([]);
        expect(app.stderr).to.not.match(STACK_FRAME);
      });

      it('mutual TLS: a collector that requires a client certificate gets the spans with OTEL_EXPORTER_OTLP_CLIENT_KEY/_CERTIFICATE, none without', async () => {
        const receiver = await launchReceiver(start({ tls: { ...tls, clientCa: certs.ca } }));
        const base = { ...FAST_EXPORT, TRACING_EXPORTER: exporter, TRACING_ENDPOINT: receiver.url, TRACING_CA_FILE: certs.caFile };
        const withoutCertificate = startApp(fixture('express5-app.js'), { env: base });
        try {
          expect((await getJson(`http://127.0.0.1:${await withoutCertificate.port()}/users/1`)).status).to.equal(200);
          await new Promise((resolve) => setTimeout(resolve, 1500));
          expect(receiver.spans, 'no client certificate: refused').to.deep.equal([]);
        } finally {
          await withoutCertificate.stop('SIGKILL');
        }
        const app = launchApp(
          startApp(fixture('express5-app.js'), {
            env: { ...base, OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.clientKeyFile, OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: certs.clientCertFile },
          }),
        );
        expect((await getJson(`http://127.0.0.1:${await app.port()}/users/42`)).status).to.equal(200);
        const spans = await receiver
          .waitForSpans((all) => serverSpan(all, '/users/:id') !== undefined, 15_000)
          .catch((err: Error) => {
            throw new Error(`${err.message}\napp stderr:\n${app.stderr}`);
          });
        expect(serverSpan(spans, '/users/:id')!.name).to.equal('GET /users/:id');
        expect(agentLines(app.stderr)).to.deep.equal([]);
      });

      it('OTEL_EXPORTER_OTLP_COMPRESSION=gzip: compressed requests, the same spans', async () => {
        const receiver = await launchReceiver(start({}));
        const app = launchApp(
          startApp(fixture('express5-app.js'), {
            env: { ...FAST_EXPORT, TRACING_EXPORTER: exporter, TRACING_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' },
          }),
        );
        expect((await getJson(`http://127.0.0.1:${await app.port()}/users/7`)).status).to.equal(200);
        const spans = await receiver.waitForSpans((all) => serverSpan(all, '/users/:id') !== undefined, 15_000);
        expect(serverSpan(spans, '/users/:id')!.attributes['url.path']).to.equal('/users/7');
        // grpc-js decompresses and hides grpc-encoding from the receiver: for gRPC, delivery is what is checked.
        const encodings = receiver.requestHeaders.map((headers) => headers['content-encoding']);
        if (exporter === 'otlp-http') expect(encodings, JSON.stringify(receiver.requestHeaders)).to.include('gzip');
        expect(agentLines(app.stderr)).to.deep.equal([]);
      });

      it('without TRACING_CA_FILE the throwaway CA is not trusted: nothing arrives, the app is unharmed, one quiet warning', async () => {
        const receiver = await launchReceiver(start({ tls }));
        const app = launchApp(
          startApp(fixture('express5-app.js'), {
            env: { ...FAST_EXPORT, TRACING_EXPORTER: exporter, TRACING_ENDPOINT: receiver.url },
          }),
        );
        const port = await app.port();
        // Requests spread over QUIET_MS: many batches, each export failing, all but one warning rate-limited.
        const deadline = Date.now() + QUIET_MS;
        let requests = 0;
        while (Date.now() < deadline) {
          const response = await getJson(`http://127.0.0.1:${port}/users/${requests}`);
          expect(response.status).to.equal(200);
          expect(response.body).to.deep.equal({ id: String(requests), name: 'Ada' });
          requests++;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        expect(requests).to.be.greaterThan(5);
        expect(receiver.spans, 'spans received despite an untrusted certificate').to.deep.equal([]);
        expect(receiver.rawPayloads).to.have.length(0);
        expect(receiver.requestHeaders).to.have.length(0);
        if (exporter === 'otlp-http') {
          // The agent did connect and refused the handshake (grpc-js does not report this server-side).
          expect(receiver.tlsErrors.length, 'TLS handshakes refused by the agent').to.be.greaterThan(0);
        }
        // A graceful stop flushes once more against the same failing collector.
        expect(await app.stop('SIGTERM')).to.deep.equal({ code: 0, signal: null });

        const stderr = app.stderr;
        expect(stderr, 'stack trace on stderr').to.not.match(STACK_FRAME);
        const exportLines = agentLines(stderr).filter((line) => /export|certificate|TLS|SSL|UNAVAILABLE/i.test(line));
        expect(exportLines.length, `at most one line about the failed export; stderr:\n${stderr}`).to.be.at.most(1);
        // ...and that one says where and why (this also shows the agent did try, for gRPC too).
        expect(exportLines, `stderr:\n${stderr}`).to.have.length(1);
        expect(exportLines[0]).to.include(`otel-agent: ${exporter} export to ${receiver.url} failed (`);
        expect(exportLines[0]).to.match(/certificate/);
      });

      it('sends TRACING_HEADERS (percent-decoded) with every export request', async () => {
        const receiver = await launchReceiver(start());
        const app = launchApp(
          startApp(fixture('express5-app.js'), {
            env: { ...FAST_EXPORT, TRACING_EXPORTER: exporter, TRACING_ENDPOINT: receiver.url, TRACING_HEADERS: 'authorization=Bearer%20abc,x-tenant=acme' },
          }),
        );
        const port = await app.port();
        await getJson(`http://127.0.0.1:${port}/users/1`);
        await receiver.waitForSpans((all) => serverSpan(all, '/users/:id') !== undefined, 15_000);
        expect(receiver.requestHeaders.length).to.be.greaterThan(0);
        for (const headers of receiver.requestHeaders) {
          expect(headers.authorization).to.equal('Bearer abc');
          expect(headers['x-tenant']).to.equal('acme');
        }
        expect(app.stderr).to.not.include('abc');
      });
    });
  }
});
