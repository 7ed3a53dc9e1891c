/**
 * What `register` does once the master switch is on: read the config from the environment, report
 * each problem on one stderr line, start the agent. The entry of the startup bundle
 * (scripts/bundle-agent.js): register.ts loads this module from build/agent-bundle.js, and from
 * build/src/ in a build without the bundle (tsc alone).
 */
import { loadConfig } from './config';
import { createLogger } from './logger';
import { startAgent } from './agent';
import { shareBundledPackages } from './share-bundled-packages';
import { safely, setSafeLogger } from './safe';

export function startFromEnv(): void {
  const loaded = loadConfig();
  const logger = createLogger(loaded.config.logLevel);
  for (const problem of loaded.problems) logger.warn(problem);
  if (!loaded.config.enabled) return;
  // Before anything outside the bundle can require @opentelemetry/* (the catalogue, the app). Should
  // Node's module internals change, the agent still starts: those packages then load a second copy.
  setSafeLogger(logger);
  safely('sharing the bundled packages', undefined, shareBundledPackages);
  startAgent(loaded, logger);
}
