/**
 * Parsers for the sampling rules and path globs of the config table (TRACING_SAMPLING_RULES,
 * TRACING_IGNORE_PATHS). They only validate and normalize; src/sdk/sampling.ts compiles the matchers.
 */
import { accessors } from 'env-var';
import type { ValueParser } from './option-types';
import { splitCommaList } from './value-parsers';

/** One rule of TRACING_SAMPLING_RULES, modelled on dd-trace's DD_TRACE_SAMPLING_RULES. */
export interface SamplingRule {
  /** Matches the service name (exact). */
  service?: string;
  /** Matches the HTTP method, case-insensitive. */
  method?: string;
  /** A glob on the request path: `*` within a segment, `**` across segments. */
  path?: string;
  /** An express-style route, `/users/:id`, matched against the request path (`:name` is one segment). */
  route?: string;
  sampleRate: number;
}

const RULE_KEYS = new Set(['service', 'method', 'path', 'route', 'sample_rate']);

function describeRule(index: number): string {
  return `rule #${index + 1}`;
}

/** A JSON array of rules; each bad rule is one problem line naming it, and is skipped. */
export const parseSamplingRules: ValueParser<SamplingRule[]> = (raw, variable, ctx) => {
  let items: unknown[];
  try {
    items = accessors.asJsonArray(raw);
  } catch {
    ctx.report({ variable, shownValue: raw, whatIsWrong: 'is not a JSON array of rules' });
    return undefined;
  }
  const rules: SamplingRule[] = [];
  items.forEach((item, index) => {
    const problem = ruleProblem(item);
    if (problem !== undefined) {
      ctx.report({ variable, shownValue: raw, whatIsWrong: `has a ${describeRule(index)} that ${problem}`, instead: 'ignoring that rule' });
      return;
    }
    const entry = item as Record<string, unknown>;
    const rule: SamplingRule = { sampleRate: entry.sample_rate as number };
    for (const key of ['service', 'method', 'path', 'route'] as const) if (typeof entry[key] === 'string') rule[key] = entry[key];
    if (rule.method !== undefined) rule.method = rule.method.toUpperCase();
    rules.push(rule);
  });
  return { value: rules };
};

function ruleProblem(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return 'is not an object';
  const entry = item as Record<string, unknown>;
  const unknown = Object.keys(entry).find((key) => !RULE_KEYS.has(key));
  if (unknown !== undefined) return `has an unknown key ${JSON.stringify(unknown)} (expected service, method, path, route, sample_rate)`;
  const rate = entry.sample_rate;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) return 'has no sample_rate between 0 and 1';
  for (const key of ['service', 'method', 'path', 'route']) {
    if (entry[key] !== undefined && (typeof entry[key] !== 'string' || entry[key] === '')) return `has a ${key} that is not a non-empty string`;
  }
  for (const key of ['path', 'route']) {
    if (typeof entry[key] === 'string' && !entry[key].startsWith('/')) return `has a ${key} that does not start with "/"`;
  }
  if (entry.path !== undefined && entry.route !== undefined) return 'has both a path and a route (use one)';
  return undefined;
}

/** Comma-separated path globs, each starting with "/". */
export const parsePathGlobs: ValueParser<string[]> = (raw, variable, ctx) => {
  const globs: string[] = [];
  for (const glob of splitCommaList(raw)) {
    if (!glob.startsWith('/')) {
      ctx.report({ variable, shownValue: raw, whatIsWrong: `has a path ${JSON.stringify(glob)} that does not start with "/"`, instead: 'ignoring it' });
    } else if (!globs.includes(glob)) {
      globs.push(glob);
    }
  }
  return { value: globs };
};
