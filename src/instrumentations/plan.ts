/** Which of the configured instrumentations are constructed at start, which lazily, which not at all. */
import { EAGER_INSTRUMENTATIONS, EAGER_WHEN, INSTRUMENTATION_TARGETS } from './targets';

export interface InstrumentationPlan {
  /** Constructed at start, in this order. */
  eager: string[];
  /** Short name -> module names whose first load constructs it (lazy-loader.ts). */
  lazy: Map<string, readonly string[]>;
  /** Configured but with nothing to hook here (aws-lambda outside Lambda). */
  skipped: string[];
}

/**
 * Which instrumentations are built at start and which wait for their module (lazy-loader.ts).
 * At start: http, express, undici (the agent's own hooks ride on them), the ones that hook no module
 * by name when their condition holds (aws-lambda inside Lambda), and any name the static table does
 * not know (a newer catalogue than targets.ts was written for: correct, just not lazy).
 */
export function planInstrumentations(names: readonly string[], env: NodeJS.ProcessEnv = process.env): InstrumentationPlan {
  const eager: string[] = [];
  const lazy = new Map<string, readonly string[]>();
  const skipped: string[] = [];
  for (const name of names) {
    const targets = INSTRUMENTATION_TARGETS[name];
    const condition = EAGER_WHEN[name];
    if (EAGER_INSTRUMENTATIONS.includes(name) || targets === undefined) eager.push(name);
    else if (condition !== undefined) (condition(env) ? eager : skipped).push(name);
    else if (targets.length === 0) eager.push(name);
    else lazy.set(name, targets);
  }
  return { eager, lazy, skipped };
}
