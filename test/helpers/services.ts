/**
 * Real database servers for tests: Debian's postgresql and redis-server, started on loopback on free
 * ports with throwaway data directories, stopped (and their directories removed) by `stop()`.
 *
 * A missing binary is `ServiceUnavailable`: the test fails with its message when REQUIRE_SERVICES=1
 * (.ci/run sets it, so CI never skips) and skips otherwise.
 *
 * postgres refuses to run as root ("root" execution of the PostgreSQL server is not permitted), and
 * tests run as root here: initdb and postgres then run under the `postgres` account the Debian
 * package creates (else `nobody`) through `setpriv`, which execs rather than forks, so the pid we
 * signal is postgres itself.
 */
import { spawn, spawnSync } from 'child_process';
import type { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export class ServiceUnavailable extends Error {}

export interface RunningService {
  readonly port: number;
  /** Connection string for the client library. */
  readonly url: string;
  stop(): Promise<void>;
}

/** Fails (REQUIRE_SERVICES=1) or skips the current test with the reason. */
export function requireOrSkip(context: Mocha.Context, err: unknown): never {
  if (!(err instanceof ServiceUnavailable)) throw err;
  if (process.env.REQUIRE_SERVICES === '1') throw new Error(`${err.message} (REQUIRE_SERVICES=1: install it, e.g. apt-get install -y postgresql redis-server)`);
  console.log(`      skipped: ${err.message} (set REQUIRE_SERVICES=1 to fail instead)`);
  context.skip();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function findExecutable(candidates: string[]): string | undefined {
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Resolves when `pattern` shows up in the child's output; rejects when it exits or time runs out. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<void> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

interface Account {
  uid: number;
  gid: number;
  /** Prefix for commands that must not run as root. */
  prefix: string[];
}

/** Who runs postgres: ourselves unless root, then the `postgres` account (or nobody). */
function unprivilegedAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const uid = lookup.status === 0 ? Number(lookup.stdout.trim()) : 65534;
  const gid = lookup.status === 0 ? Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()) : 65534;
  return { uid, gid, prefix: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'] };
}

/** The newest /usr/lib/postgresql/<version>/bin that has both initdb and postgres. */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = path.join(root, version, 'bin');
    if (findExecutable([path.join(bin, 'initdb')]) && findExecutable([path.join(bin, 'postgres')])) return bin;
  }
  throw new ServiceUnavailable(`PostgreSQL server binaries (initdb, postgres) not found under ${root}/<version>/bin`);
}

/** A fresh cluster (initdb, trust auth, user `postgres`) served by `postgres` on 127.0.0.1. */
export async function startPostgres(): Promise<RunningService> {
  const bin = postgresBinDir();
  const account = unprivilegedAccount();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-pg-'));
  const dataDir = path.join(dir, 'data');
  if (account) fs.chownSync(dir, account.uid, account.gid);
  const command = (file: string, args: string[]) => (account ? [...account.prefix, path.join(bin, file), ...args] : [path.join(bin, file), ...args]);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };

  const [initCommand, ...initArgs] = command('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const init = spawnSync(initCommand, initArgs, { cwd: dir, env, encoding: 'utf8' });
  if (init.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}):\n${init.stdout}\n${init.stderr}`);
  }
  const port = await freePort();
  const [serverCommand, ...serverArgs] = command('postgres', [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
  ]);
  const child = spawn(serverCommand, serverArgs, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitForLine(child, /database system is ready to accept connections/, 'postgres');
  } catch (err) {
    await stopChild(child, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await stopChild(child, 'SIGINT'); // postgres: SIGINT is "fast shutdown"
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** redis-server on 127.0.0.1 with no persistence, in a temporary working directory. */
export async function startRedis(): Promise<RunningService> {
  const server = findExecutable(['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
  if (server === undefined) throw new ServiceUnavailable('redis-server not found (/usr/bin/redis-server)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-redis-'));
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir];
  const child = spawn(server, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitForLine(child, /Ready to accept connections/, 'redis-server');
  } catch (err) {
    await stopChild(child, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await stopChild(child, 'SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunningPrometheus extends RunningService {
  /** GET /api/v1/<path> with query parameters; resolves with the `data` of a successful answer. */
  api<T = unknown>(path: string, params: Record<string, string>): Promise<T>;
  /** Each scrape target's health and last scrape error, for a failure message: why a series is missing. */
  targetHealth(): Promise<string>;
}

/**
 * Debian's prometheus (2.42+) on 127.0.0.1, scraping `targets` every second with exemplar storage on,
 * its TSDB in a temporary directory. Its system service (if installed) is not used.
 */
export async function startPrometheus(targets: string[]): Promise<RunningPrometheus> {
  const server = findExecutable(['/usr/bin/prometheus', '/usr/local/bin/prometheus']);
  if (server === undefined) throw new ServiceUnavailable('prometheus not found (/usr/bin/prometheus)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-prometheus-'));
  // freePort() closes what it found: a second call may hand out the target's port again, and a
  // Prometheus listening there would scrape itself, with none of the app's series.
  let port = await freePort();
  while (targets.some((target) => target.endsWith(`:${port}`))) port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: app',
    '    scrape_interval: 1s',
    '    scrape_timeout: 1s',
    '    static_configs:',
    `      - targets: [${targets.map((target) => JSON.stringify(target)).join(', ')}]`,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const args = [
    `--config.file=${path.join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--enable-feature=exemplar-storage',
  ];
  const child = spawn(server, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitForLine(child, /Server is ready to receive web requests/, 'prometheus');
  } catch (err) {
    await stopChild(child, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = `http://127.0.0.1:${port}`;
  async function api<T>(apiPath: string, params: Record<string, string>): Promise<T> {
    const response = await fetch(`${url}/api/v1/${apiPath}?${new URLSearchParams(params).toString()}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${apiPath} ${JSON.stringify(params)}: ${body.error ?? response.status}`);
    return body.data;
  }
  return {
    port,
    url,
    api,
    async targetHealth() {
      const data = await api<{ activeTargets: { scrapeUrl: string; health: string; lastError: string }[] }>('targets', {});
      return (
        data.activeTargets.map((target) => `${target.scrapeUrl} ${target.health}${target.lastError ? ` (${target.lastError})` : ''}`).join('; ') ||
        'none discovered yet'
      );
    },
    async stop() {
      await stopChild(child, 'SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
