/** What every patch module receives, and the shape it exports. */
import type { AgentConfig } from '../config/types';
import type { AgentLogger } from '../logger';

export interface PatchContext {
  config: AgentConfig;
  logger: AgentLogger;
}

/**
 * A patch module's contract: `patch` installs the hooks (idempotent) and returns nothing; `unpatch`
 * restores the originals only where a property still holds our wrapper, so a later tool's patch survives.
 */
export interface AgentPatch {
  /** Short name for diagnostics, e.g. 'express-errors'. */
  name: string;
  /** Whether the config asks for this patch at all. */
  isEnabled(config: AgentConfig): boolean;
  patch(context: PatchContext): void;
  unpatch(): void;
}
