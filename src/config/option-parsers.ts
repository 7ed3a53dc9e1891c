/**
 * Parsers for the options whose format is their own (exporter and instrumentation lists, PII settings).
 * The generic readers live in value-parsers.ts, the OTEL_* mappings in otel-fallbacks.ts.
 */
import { accessors } from 'env-var';
import { EXPORTER_NAMES, type ExporterName } from './types';
import type { ResolveContext, ValueParser } from './option-types';
import { describeItem, splitCommaList } from './value-parsers';
import { knownInstrumentationNames } from './instrumentation-names';
import { closestMatch } from './did-you-mean';
import {
  AGENT_DEFAULT_EXCLUDED,
  EAGER_INSTRUMENTATIONS,
  METRICS_ONLY_INSTRUMENTATIONS,
  UPSTREAM_DEFAULT_EXCLUDED,
} from '../instrumentations/targets';

export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9._-]+$/;
export const SERVICE_NAME_MAX_LENGTH = 128;

export const parseServiceName: ValueParser<string> = (raw, variable, ctx) => {
  if (raw.length > SERVICE_NAME_MAX_LENGTH || !SERVICE_NAME_PATTERN.test(raw)) {
    ctx.report({
      variable,
      shownValue: raw,
      whatIsWrong: `is not a valid service name (expected letters, digits, '.', '_' or '-', at most ${SERVICE_NAME_MAX_LENGTH} characters)`,
    });
    return undefined;
  }
  return { value: raw };
};

/**
 * Exporter names in a comma list, case-insensitive and deduplicated. Unknown names are dropped
 * with one problem each; 'none' next to a real exporter is contradictory, so it is dropped.
 * `accepted` differs for OTEL_TRACES_EXPORTER, whose 'otlp' is mapped by `mapName`.
 */
export function exporterList(
  accepted: readonly string[],
  mapName: (name: string) => ExporterName = (name) => name as ExporterName,
): ValueParser<ExporterName[]> {
  return (raw, variable, ctx) => {
    const names = splitCommaList(raw);
    const known = names.filter((name) => accepted.includes(name));
    const unknown = names.filter((name) => !accepted.includes(name));
    let exporters = [...new Set(known.map(mapName))];
    if (exporters.includes('none') && exporters.length > 1) {
      ctx.report({ variable, shownValue: raw, whatIsWrong: 'combines "none" with other exporters', instead: 'ignoring "none"' });
      exporters = exporters.filter((name) => name !== 'none');
    }
    for (const name of unknown) {
      ctx.report({
        variable,
        shownValue: raw,
        whatIsWrong: `names an unknown exporter${describeItem(names, name)} (expected ${accepted.join(', ')})`,
        // With other exporters left, the unknown one is simply skipped; otherwise the loader says what is used.
        instead: exporters.length > 0 ? 'ignoring it' : undefined,
      });
    }
    if (names.length === 0) {
      ctx.report({ variable, shownValue: raw, whatIsWrong: 'names no exporter' });
    }
    return exporters.length > 0 ? { value: exporters } : undefined;
  };
}

export const parseTracingExporters = exporterList(EXPORTER_NAMES);

/** Common names that are not the instrumentation's package name. */
const INSTRUMENTATION_ALIASES: Readonly<Record<string, string>> = {
  fetch: 'undici', // Node's global fetch is undici
  https: 'http', // instrumentation-http patches both modules
};

/**
 * The default set: upstream register's (its whole catalogue but fs and host-metrics), without the
 * metrics-only ones and router (targets.ts says why), http/express/undici first.
 */
export function defaultInstrumentations(): string[] {
  const excluded = new Set([...UPSTREAM_DEFAULT_EXCLUDED, ...AGENT_DEFAULT_EXCLUDED, ...METRICS_ONLY_INSTRUMENTATIONS]);
  const known = knownInstrumentationNames().filter((name) => !excluded.has(name));
  const first = EAGER_INSTRUMENTATIONS.filter((name) => known.includes(name));
  return [...first, ...known.filter((name) => !first.includes(name))];
}

/**
 * Validates names one by one: each bad one is one problem line. `instead` is what the caller does
 * about a rejected name when it keeps going (undefined: the caller reports the outcome itself).
 */
function validInstrumentationNames(
  names: readonly string[],
  raw: string,
  variable: string,
  ctx: ResolveContext,
  instead: string | undefined,
  /** The whole list the names come from, so a message quotes the item when there are several. */
  wholeList: readonly string[] = names,
): string[] {
  const known = knownInstrumentationNames();
  const valid: string[] = [];
  for (const name of names) {
    const canonical = INSTRUMENTATION_ALIASES[name] ?? name;
    let whatIsWrong: string | undefined;
    if (METRICS_ONLY_INSTRUMENTATIONS.includes(canonical)) {
      whatIsWrong = `names a metrics-only instrumentation${describeItem(wholeList, name)}, not a tracing one`;
    } else if (!known.includes(canonical)) {
      const suggestion = closestMatch(canonical, known, 2);
      const expected = suggestion !== undefined ? `did you mean ${suggestion}?` : `expected one of ${known.filter((n) => !METRICS_ONLY_INSTRUMENTATIONS.includes(n)).join(', ')}`;
      whatIsWrong = `names an unknown instrumentation${describeItem(wholeList, name)} (${expected})`;
    }
    if (whatIsWrong !== undefined) ctx.report({ variable, shownValue: raw, whatIsWrong, instead });
    else if (!valid.includes(canonical)) valid.push(canonical);
  }
  return valid;
}

/** A plain list: exactly these instrumentations (bad names are skipped; none valid means the default). */
function replaceDefaults(names: string[], raw: string, variable: string, ctx: ResolveContext) {
  const anyValid = names.some((name) => {
    const canonical = INSTRUMENTATION_ALIASES[name] ?? name;
    return knownInstrumentationNames().includes(canonical) && !METRICS_ONLY_INSTRUMENTATIONS.includes(canonical);
  });
  const selected = validInstrumentationNames(names, raw, variable, ctx, anyValid ? 'ignoring it' : undefined);
  return selected.length > 0 ? { value: selected } : undefined;
}

/**
 * `+name` adds to the default set, `-name` removes from it, applied left to right, so `+fs,-pg`
 * needs no restating of the defaults. A plain name among edits is read as `+name`, with one line.
 */
function editDefaults(items: string[], raw: string, variable: string, ctx: ResolveContext) {
  if (items.some((item) => !/^[+-]/.test(item))) {
    ctx.report({
      variable,
      shownValue: raw,
      whatIsWrong: 'mixes +name/-name edits of the defaults with plain names',
      instead: 'reading each plain name as +name',
    });
  }
  const selected = defaultInstrumentations();
  for (const item of items) {
    const remove = item.startsWith('-');
    const name = item.replace(/^[+-]\s*/, '');
    const [canonical] = validInstrumentationNames([name], raw, variable, ctx, 'ignoring it', items);
    if (canonical === undefined) continue;
    const index = selected.indexOf(canonical);
    if (remove && index >= 0) selected.splice(index, 1);
    if (!remove && index < 0) selected.push(canonical);
  }
  return { value: selected };
}

/**
 * TRACING_INSTRUMENTATIONS: a plain list replaces the defaults; a list whose items all start with
 * + or - edits them.
 */
export const parseInstrumentations: ValueParser<string[]> = (raw, variable, ctx) => {
  const items = splitCommaList(raw);
  if (items.length === 0) {
    ctx.report({ variable, shownValue: raw, whatIsWrong: 'names no instrumentation' });
    return undefined;
  }
  return items.some((item) => /^[+-]/.test(item)) ? editDefaults(items, raw, variable, ctx) : replaceDefaults(items, raw, variable, ctx);
};

/**
 * Upstream's OTEL_NODE_DISABLED_INSTRUMENTATIONS names, validated under that variable's own name.
 * Upstream applies it after OTEL_NODE_ENABLED_INSTRUMENTATIONS, or to the defaults when that is unset
 * (auto-instrumentations-node/build/src/utils.js, `shouldDisableInstrumentation`: "Priority 2").
 */
function otelDisabledNames(ctx: ResolveContext): string[] {
  const raw = ctx.read(OTEL_NODE_DISABLED);
  return raw === undefined ? [] : validInstrumentationNames(splitCommaList(raw), raw, OTEL_NODE_DISABLED, ctx, 'ignoring it');
}

const OTEL_NODE_DISABLED = 'OTEL_NODE_DISABLED_INSTRUMENTATIONS';

/**
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS, as upstream's register reads it: exactly these (default-off ones
 * such as fs included), minus OTEL_NODE_DISABLED_INSTRUMENTATIONS. Names with no valid entry enable
 * nothing, as upstream (`isEnabledEnvSet && !enabledInstrumentationsFromEnv.includes(name)`).
 */
export const parseOtelEnabledInstrumentations: ValueParser<string[]> = (raw, variable, ctx) => {
  const enabled = validInstrumentationNames(splitCommaList(raw), raw, variable, ctx, 'ignoring it');
  const disabled = otelDisabledNames(ctx);
  return { value: enabled.filter((name) => !disabled.includes(name)) };
};

/** OTEL_NODE_DISABLED_INSTRUMENTATIONS alone: the defaults minus these. */
export const parseOtelDisabledInstrumentations: ValueParser<string[]> = (_raw, _variable, ctx) => {
  const disabled = otelDisabledNames(ctx);
  return { value: defaultInstrumentations().filter((name) => !disabled.includes(name)) };
};

/**
 * A JSON array of regex sources when the value starts with '[', else one regex source.
 * Compiling and vetting the regexes is src/redact's job (it knows the flags and the ReDoS checks).
 */
export const parsePiiPatterns: ValueParser<string[]> = (raw, variable, ctx) => {
  if (!raw.startsWith('[')) return { value: [raw] };
  let items: unknown[];
  try {
    items = accessors.asJsonArray(raw);
  } catch {
    ctx.report({ variable, shownValue: raw, whatIsWrong: 'starts with "[" but is not a valid JSON array' });
    return undefined;
  }
  const patterns: string[] = [];
  items.forEach((item, index) => {
    if (typeof item === 'string' && item !== '') {
      patterns.push(item);
    } else {
      ctx.report({ variable, shownValue: raw, whatIsWrong: `has an item (#${index + 1}) that is not a non-empty string`, instead: 'ignoring it' });
    }
  });
  return { value: [...new Set(patterns)] };
};

export const parsePiiKeys: ValueParser<string[]> = (raw) => ({ value: splitCommaList(raw) });
