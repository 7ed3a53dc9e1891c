/**
 * Spawns a real `node [-r register] fixture` child process and observes it like a user would:
 * stdout/stderr text, the port it printed (`LISTENING <port>`), its exit code or signal.
 */
import { spawn } from 'child_process';
import type { ChildProcess } from 'child_process';
import { REGISTER } from './paths';

export interface AppOptions {
  /** Load the agent with -r (default), --import, or not at all. */
  agent?: 'require' | 'import' | 'none';
  env?: Record<string, string | undefined>;
  nodeArgs?: string[];
  args?: string[];
  /** Node binary (for Node 22/24 runs); defaults to the one running the tests. */
  nodePath?: string;
  cwd?: string;
}

export interface AppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningApp {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the port once the app printed `LISTENING <port>`. */
  port(): Promise<number>;
  /** Resolves when stdout contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  exited(): Promise<AppExit>;
  stop(signal?: NodeJS.Signals): Promise<AppExit>;
}

/** A minimal environment: the developer's own OTEL_/TRACING_ variables must not leak into tests. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  return env;
}

export function nodeCommand(script: string, options: AppOptions = {}): { command: string; args: string[] } {
  const agentArgs = options.agent === 'none' ? [] : options.agent === 'import' ? ['--import', REGISTER] : ['-r', REGISTER];
  return {
    command: options.nodePath ?? process.env.TEST_NODE_PATH ?? process.execPath,
    args: [...agentArgs, ...(options.nodeArgs ?? []), script, ...(options.args ?? [])],
  };
}

export function startApp(script: string, options: AppOptions = {}): RunningApp {
  const { command, args } = nodeCommand(script, options);
  const env: Record<string, string> = { ...baseEnv() };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  const child = spawn(command, args, { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners: (() => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    listeners.forEach((listener) => listener());
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exitPromise = new Promise<AppExit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // 'exit' can fire before stdio is drained; 'close' waits for both.
  const closePromise = new Promise<AppExit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  void exitPromise;

  const waitForOutput = (text: string, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      if (stdout.includes(text)) return resolve();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}"\nstdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
      const check = () => {
        if (stdout.includes(text)) {
          clearTimeout(timer);
          resolve();
        }
      };
      listeners.push(check);
      void closePromise.then(() => {
        if (!stdout.includes(text)) {
          clearTimeout(timer);
          reject(new Error(`app exited before printing "${text}"\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }
      });
    });

  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    async port() {
      await waitForOutput('LISTENING ');
      const match = /LISTENING (\d+)/.exec(stdout);
      return Number(match![1]);
    },
    waitForOutput,
    exited: () => closePromise,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const result = await closePromise;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Runs a script to completion. */
export async function runApp(script: string, options: AppOptions = {}): Promise<AppExit & { stdout: string; stderr: string }> {
  const app = startApp(script, options);
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 30_000);
  const exit = await app.exited();
  clearTimeout(timer);
  return { ...exit, stdout: app.stdout, stderr: app.stderr };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}
