/**
 * Fail open: every piece of agent code that runs inside the app's call paths goes through here.
 * On an internal error the agent warns once per site and the caller's original behaviour proceeds.
 */
import { errorNameAndMessage } from './error-message';
import type { AgentLogger } from './logger';

let logger: AgentLogger | undefined;

export function setSafeLogger(agentLogger: AgentLogger): void {
  logger = agentLogger;
}

export function reportInternalError(site: string, err: unknown): void {
  logger?.warnOnce(
    `internal:${site}`,
    `internal error in ${site} (${errorNameAndMessage(err)}); the agent skips this step and your application continues unaffected`,
  );
}

/** Runs `fn`; on a throw, reports it once for `site` and returns `fallback`. */
export function safely<T>(site: string, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    reportInternalError(site, err);
    return fallback;
  }
}
