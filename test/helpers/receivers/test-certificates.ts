/**
 * Throwaway TLS material for the receivers: a CA, a server certificate it signs for localhost
 * (SAN DNS:localhost and IP:127.0.0.1), and a client certificate it signs (mutual TLS), made with the
 * `openssl` command (EC P-256 keys: fast).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface TestCertificates {
  /** Path of the CA certificate (PEM): what TRACING_CA_FILE names. */
  caFile: string;
  /** The CA certificate (PEM). */
  ca: Buffer;
  /** The server's private key (PEM). */
  key: Buffer;
  /** The server's certificate (PEM), signed by the CA. */
  cert: Buffer;
  /** Paths of a client key and certificate signed by the CA (extendedKeyUsage clientAuth). */
  clientKeyFile: string;
  clientCertFile: string;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.toString().trim() || e.message}`, { cause: err });
  }
}

/** Throws a clear error when the `openssl` command is missing: TLS tests must fail, not skip. */
export function checkOpenssl(): string {
  try {
    return execFileSync('openssl', ['version'], { stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .trim();
  } catch (err) {
    throw new Error(
      `the TLS tests need the \`openssl\` command to create throwaway certificates, and \`openssl version\` failed ` +
        `(${(err as Error).message}); install it (Debian/Ubuntu: apt-get install openssl)`,
      { cause: err },
    );
  }
}

/** Writes ca.pem, ca-key.pem, server.pem and server-key.pem into `dir` (created if missing). */
export function createTestCertificates(dir: string): TestCertificates {
  checkOpenssl();
  fs.mkdirSync(dir, { recursive: true });
  const ecKey = (out: string) => ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out];
  openssl(ecKey('ca-key.pem'), dir);
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[req]',
      'distinguished_name = dn',
      'x509_extensions = ca_ext',
      'prompt = no',
      '[dn]',
      'CN = otel-agent throwaway test CA',
      '[ca_ext]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  openssl(['req', '-x509', '-new', '-config', 'ca.cnf', '-key', 'ca-key.pem', '-sha256', '-days', '2', '-out', 'ca.pem'], dir);

  openssl(ecKey('server-key.pem'), dir);
  openssl(['req', '-new', '-key', 'server-key.pem', '-subj', '/CN=localhost', '-out', 'server.csr'], dir);
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    [
      'basicConstraints = CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = DNS:localhost, IP:127.0.0.1',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  const serial = `0x${Date.now().toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`;
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-set_serial',
      serial,
      '-days',
      '2',
      '-sha256',
      '-extfile',
      'server.ext',
      '-out',
      'server.pem',
    ],
    dir,
  );
  openssl(ecKey('client-key.pem'), dir);
  openssl(['req', '-new', '-key', 'client-key.pem', '-subj', '/CN=otel-agent-test-client', '-out', 'client.csr'], dir);
  fs.writeFileSync(
    path.join(dir, 'client.ext'),
    ['basicConstraints = CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = clientAuth', 'authorityKeyIdentifier = keyid', ''].join('\n'),
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-set_serial',
      `${serial}1`,
      '-days',
      '2',
      '-sha256',
      '-extfile',
      'client.ext',
      '-out',
      'client.pem',
    ],
    dir,
  );
  const caFile = path.join(dir, 'ca.pem');
  return {
    clientKeyFile: path.join(dir, 'client-key.pem'),
    clientCertFile: path.join(dir, 'client.pem'),
    caFile,
    ca: fs.readFileSync(caFile),
    key: fs.readFileSync(path.join(dir, 'server-key.pem')),
    cert: fs.readFileSync(path.join(dir, 'server.pem')),
  };
}
