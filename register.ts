/**
 * The preload entry: `node -r @x/otel-agent/register app.js` or `node --import @x/otel-agent/register app.mjs`.
 * Side effects only; logic lives in src/. Never throws into the app.
 */
import { existsSync } from 'fs';
import { join } from 'path';
import { isMainThread } from 'worker_threads';

const STARTED = Symbol.for('@x/otel-agent.started');
const globalState = globalThis as { [STARTED]?: boolean };

function registerAgent(): void {
  // Only the main thread: Node 20 re-runs -r preloads inside the loader-hooks thread that
  // module.register() starts, and the agent's own export worker must never trace itself.
  // Apps' worker threads are skipped too (see README: worker threads).
  if (!isMainThread) return;
  // `-r` twice, or `-r` plus `--import`, start one agent.
  if (globalState[STARTED]) return;
  globalState[STARTED] = true;

  // TRACING_ENABLED=false stops here, before even the config module is loaded.
  const { isTracingExplicitlyDisabled } = require('./src/config/master-switch') as typeof import('./src/config/master-switch');
  if (isTracingExplicitlyDisabled()) return;

  loadAgentEntry().startFromEnv();
}

/**
 * The agent's code and the packages only it uses are one file, built by scripts/bundle-agent.js: one
 * module to resolve and compile at startup instead of ~150 (measured: ~40 ms less from spawn to
 * listening on the bench app). A build without it (tsc alone, while developing) runs the same
 * modules from build/src/.
 */
function loadAgentEntry(): typeof import('./src/start-from-env') {
  const bundle = join(__dirname, 'agent-bundle.js');
  if (existsSync(bundle)) return require(bundle) as typeof import('./src/start-from-env');
  return require('./src/start-from-env') as typeof import('./src/start-from-env');
}

try {
  registerAgent();
} catch (err) {
  // Required here, not imported at the top: TRACING_ENABLED=false must load one module only.
  const { errorMessage } = require('./src/error-message') as typeof import('./src/error-message');
  const line = `otel-agent: failed to start (${errorMessage(err)}); your application is not instrumented and runs normally`;
  let masked: string;
  try {
    // The error may quote a configured secret (an endpoint's password): mask it like every diagnostic line.
    masked = (require('./src/logger') as typeof import('./src/logger')).maskDiagnosticLine(line);
  } catch {
    masked = 'otel-agent: failed to start; your application is not instrumented and runs normally';
  }
  process.stderr.write(`${masked}\n`);
}
