/**
 * The agent's own patches, beyond upstream instrumentations: error paths and error bodies.
 * Each runs fail-open: a patch that cannot install is reported once and skipped.
 */
import { reportInternalError } from '../safe';
import { errorBodyTraceIdPatch } from './error-body-trace-id';
import { expressErrorsPatch } from './express-errors';
import { processErrorsPatch } from './process-errors';
import { responseTraceHeaderPatch } from './response-trace-header';
import type { AgentPatch, PatchContext } from './types';

// The body rewrite's writeHead wraps the trace header's: it decides on the app's own arguments.
export const AGENT_PATCHES: readonly AgentPatch[] = [expressErrorsPatch, processErrorsPatch, responseTraceHeaderPatch, errorBodyTraceIdPatch];

/** Installs every enabled patch; returns the function that removes them again. */
export function installPatches(context: PatchContext, patches: readonly AgentPatch[] = AGENT_PATCHES): () => void {
  const installed: AgentPatch[] = [];
  for (const patch of patches) {
    if (!patch.isEnabled(context.config)) continue;
    try {
      patch.patch(context);
      installed.push(patch);
    } catch (err) {
      reportInternalError(`patch ${patch.name}`, err);
    }
  }
  return function uninstallPatches() {
    for (const patch of installed.reverse()) {
      try {
        patch.unpatch();
      } catch (err) {
        reportInternalError(`unpatch ${patch.name}`, err);
      }
    }
  };
}
