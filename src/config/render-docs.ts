/**
 * The env example file and the README table, both rendered from the config table so they cannot
 * drift (test/unit/config/docs-drift.test.ts compares the committed files with these functions).
 * Output depends on the table only: no paths, no installed versions.
 */
import type { AnyConfigOption } from './option-types';
import { ALL_OPTIONS, envFileValue } from './schema';

function fallbackDescriptions(row: AnyConfigOption): string[] {
  return row.otelFallbacks.map((fallback) => (fallback.note === undefined ? fallback.envVar : `${fallback.envVar} (${fallback.note})`));
}

export function renderEnvExample(): string {
  const lines = [
    '# otel-agent configuration: every TRACING_* variable, commented out, with its default.',
    '# Generated from src/config/schema.ts by `npm run gen:config-docs`; do not edit by hand.',
    '# Every variable is optional and a blank value counts as unset. A TRACING_* variable wins over',
    '# its OTEL_* fallbacks, which are read, in the order listed, only when it is unset. An invalid',
    '# value is reported in one `otel-agent:` line on stderr and replaced by the default.',
    '# Check the effective values with: npx otel-agent config',
  ];
  for (const row of ALL_OPTIONS) {
    lines.push('', `# ${row.doc}`);
    if (row.defaultDoc !== undefined) lines.push(`# Default: ${row.defaultDoc}`);
    const fallbacks = fallbackDescriptions(row);
    if (row.envVar === undefined) {
      // Only standard variables set this option; show the first so the file still covers it.
      const names = row.otelFallbacks.map((fallback) => fallback.envVar);
      lines.push(`# No TRACING_* variable: set ${names.join(', or else ')}.`, `# ${names[0]}=${envFileValue(row.default)}`);
      continue;
    }
    if (fallbacks.length > 0) lines.push(`# OTEL_* fallback${fallbacks.length > 1 ? 's' : ''}: ${fallbacks.join('; ')}`);
    lines.push(`# ${row.envVar}=${row.defaultDoc === undefined ? envFileValue(row.default) : ''}`);
  }
  return lines.join('\n') + '\n';
}

/** Markdown cells cannot contain a bare '|' or a newline. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function defaultCell(row: AnyConfigOption): string {
  if (row.defaultDoc !== undefined) return row.defaultDoc;
  const value = row.default;
  if (value === undefined) return 'unset';
  const written = envFileValue(value);
  return written === '' ? 'none' : `\`${written}\``;
}

export function renderReadmeTable(): string {
  const rows = ALL_OPTIONS.map((row) => {
    const variable = row.envVar === undefined ? '—' : `\`${row.envVar}\``;
    const fallbacks = row.otelFallbacks.map((fallback) => `\`${fallback.envVar}\`${fallback.note === undefined ? '' : ` (${fallback.note})`}`);
    return `| ${variable} | ${cell(row.doc)} | ${cell(defaultCell(row))} | ${cell(fallbacks.join('<br>')) || '—'} |`;
  });
  return ['| Variable | Meaning | Default | OTEL_* fallback |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}
