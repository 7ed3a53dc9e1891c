/**
 * The master switch, readable before anything else is loaded: register.ts asks it first, so that
 * TRACING_ENABLED=false costs one env lookup, not the config module (env-var, the table, package.json
 * reads: ~40 ms measured). Same words and precedence as the config table's TRACING_ENABLED row.
 */
export const TRUE_WORDS: readonly string[] = ['true', '1', 'yes', 'on'];
export const FALSE_WORDS: readonly string[] = ['false', '0', 'no', 'off'];

function word(value: string | undefined): string {
  return (value ?? '').trim().toLowerCase();
}

/** True only when the switch is clearly off; an invalid value leaves the full config to report it. */
export function isTracingExplicitlyDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const tracingEnabled = word(env.TRACING_ENABLED);
  if (tracingEnabled !== '') return FALSE_WORDS.includes(tracingEnabled);
  // The specification: only a case-insensitive `true` disables (1, yes, on do not).
  return word(env.OTEL_SDK_DISABLED) === 'true';
}
