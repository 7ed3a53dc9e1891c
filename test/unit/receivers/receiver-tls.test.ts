import { expect } from 'chai';
import { credentials } from '@grpc/grpc-js';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { checkOpenssl, startOtlpGrpcReceiver, startOtlpHttpReceiver, type Receiver, type ReceiverTls } from '../../helpers/receivers';
import { ExportResultCode, exportOnce, makeReadableSpans, until } from './fixtures';
import { expectEndpoint, expectSampleRoundTrip, grpcExporter, protoExporter, useReceiver, useTestCertificates } from './harness';

describe('receivers: TLS', function () {
  this.timeout(10_000);
  const tls = useTestCertificates();

  describe('createTestCertificates (openssl)', () => {
    it('finds openssl', () => {
      expect(checkOpenssl()).to.match(/^OpenSSL /i);
    });

    it('makes a CA file and an EC P-256 server certificate for localhost and 127.0.0.1 signed by it', () => {
      const { caFile, ca, key, cert } = tls.certs;
      expect(fs.readFileSync(caFile).equals(ca)).to.equal(true);
      const caCert = new X509Certificate(ca);
      const serverCert = new X509Certificate(cert);
      expect(caCert.ca).to.equal(true);
      expect(serverCert.ca).to.equal(false);
      expect(serverCert.checkIssued(caCert)).to.equal(true);
      expect(serverCert.verify(caCert.publicKey)).to.equal(true);
      expect(serverCert.subjectAltName).to.equal('DNS:localhost, IP Address:127.0.0.1');
      expect(serverCert.checkHost('localhost')).to.equal('localhost');
      expect(serverCert.checkIP('127.0.0.1')).to.equal('127.0.0.1');
      expect(Date.parse(serverCert.validTo)).to.be.greaterThan(Date.now() + 3600_000);
      const privateKey = createPrivateKey(key);
      expect(privateKey.asymmetricKeyType).to.equal('ec');
      expect(privateKey.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1');
      expect(serverCert.checkPrivateKey(privateKey)).to.equal(true);
    });
  });

  /** Per protocol: how to start the receiver with TLS, and an exporter trusting `ca` (undefined: system CAs only). */
  const protocols = {
    'otlp-grpc': {
      start: (opts: { tls: ReceiverTls }) => startOtlpGrpcReceiver(opts),
      url: (port: number) => `https://localhost:${port}`,
      exporter: (receiver: Receiver, ca?: Buffer): SpanExporter => grpcExporter(receiver, 2000, { credentials: credentials.createSsl(ca ?? null) }),
    },
    'otlp-http': {
      start: (opts: { tls: ReceiverTls }) => startOtlpHttpReceiver(opts),
      url: (port: number) => `https://localhost:${port}/v1/traces`,
      exporter: (receiver: Receiver, ca?: Buffer): SpanExporter => protoExporter(receiver, { timeoutMillis: 1000, httpAgentOptions: ca ? { ca } : {} }),
    },
  } as const;

  for (const [protocol, p] of Object.entries(protocols) as [keyof typeof protocols, (typeof protocols)[keyof typeof protocols]][]) {
    describe(protocol, () => {
      const h = useReceiver(() => p.start({ tls: { key: tls.certs.key, cert: tls.certs.cert } }), p.exporter);

      it('listens on 127.0.0.1 and reports an https://localhost url', () => {
        expectEndpoint(h.receiver, protocol, p.url);
      });

      it('decodes an export from a client that trusts the test CA', async () => {
        const receiver = h.receiver;
        await expectSampleRoundTrip(receiver, h.newExporter(tls.certs.ca), protocol);
        expect(receiver.requestHeaders[0]['x-receiver-test']).to.equal('yes');
        expect(receiver.tlsErrors).to.deep.equal([]);
      });

      it('is refused by a client that trusts only the system CAs', async () => {
        const receiver = h.receiver;
        const res = await exportOnce(h.newExporter(), await makeReadableSpans());
        expect(res.code).to.equal(ExportResultCode.FAILED);
        expect(String(res.error)).to.match(/certificate/);
        expect(receiver.rawPayloads).to.have.length(0);
        expect(receiver.spans).to.have.length(0);
        // grpc-js does not report failed handshakes server-side; node:https does.
        if (protocol === 'otlp-http') {
          await until(() => receiver.tlsErrors.length > 0, 2000, 'the refused handshake on the receiver');
          const err = await receiver.waitForSpans(1, 100).then(
            () => expect.fail('should have timed out'),
            (e: Error) => e,
          );
          expect(err.message).to.include('TLS handshake errors');
        }
      });
    });
  }

  describe('otlp-http: the certificate', () => {
    const h = useReceiver(() => startOtlpHttpReceiver({ tls: { key: tls.certs.key, cert: tls.certs.cert } }), protoExporter);

    it('is served for both localhost and 127.0.0.1', async () => {
      for (const host of ['localhost', '127.0.0.1']) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = https.request({ host, port: h.receiver.port, path: '/v1/traces', method: 'GET', ca: tls.certs.ca }, (res) =>
            resolve(res.resume().statusCode ?? 0),
          );
          req.on('error', reject).end();
        });
        expect(status, host).to.equal(405);
      }
    });
  });
});
