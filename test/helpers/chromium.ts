/**
 * Headless Chromium for tests that need a real browser (the report's HTML page): found on PATH,
 * run as a child process with a fresh profile, killed with its whole process group on a hang.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Nothing that phones home: no sync, component updates, background networking or QUIC probing.
 * --no-sandbox because CI containers run as root, where Chromium's sandbox refuses to start.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** Path of the Chromium binary: $CHROMIUM_PATH, else the first candidate on PATH; undefined when none. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : undefined;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const name of CANDIDATES) {
      const candidate = path.join(dir, name);
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export interface ChromiumRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `chromium <flags> --user-data-dir=<fresh temp dir> <args>` and resolves when it exits. On
 * timeout the whole process group is killed (Debian's `chromium` is a shell script that starts the
 * real binary, which starts renderer and utility processes) and the promise rejects.
 */
export async function runChromium(binary: string, args: string[], timeoutMs = 45_000): Promise<ChromiumRun> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-chromium-'));
  try {
    return await new Promise<ChromiumRun>((resolve, reject) => {
      const child = spawn(binary, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so a hang can be killed with all its children
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const killGroup = () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      const timer = setTimeout(() => {
        killGroup();
        reject(new Error(`chromium ${args.join(' ')} did not finish within ${timeoutMs} ms; stderr:\n${stderr.slice(-2000)}`));
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        // Helpers (crashpad) can outlive the browser and hold the profile dir open.
        killGroup();
        resolve({ code, signal, stdout, stderr });
      });
    });
  } finally {
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 });
  }
}

function fileUrl(file: string, hash = ''): string {
  return `file://${path.resolve(file)}${hash}`;
}

/** The DOM after the page's scripts ran, serialized (`--dump-dom`). `hash` is appended to the URL. */
export async function dumpDom(binary: string, htmlFile: string, hash = ''): Promise<string> {
  const run = await runChromium(binary, ['--dump-dom', fileUrl(htmlFile, hash)]);
  if (run.code !== 0 || !run.stdout.includes('</html>')) {
    throw new Error(`chromium --dump-dom exited with ${run.code ?? run.signal} and ${run.stdout.length} bytes of output; stderr:\n${run.stderr.slice(-2000)}`);
  }
  return run.stdout;
}

/** A PNG screenshot of the page at the given window size (`--screenshot`). */
export async function screenshot(binary: string, htmlFile: string, pngFile: string, width = 1280, height = 2000): Promise<void> {
  fs.rmSync(pngFile, { force: true });
  const run = await runChromium(binary, [`--screenshot=${pngFile}`, `--window-size=${width},${height}`, fileUrl(htmlFile)]);
  if (run.code !== 0 || !fs.existsSync(pngFile)) {
    throw new Error(`chromium --screenshot exited with ${run.code ?? run.signal} and wrote no ${pngFile}; stderr:\n${run.stderr.slice(-2000)}`);
  }
}
