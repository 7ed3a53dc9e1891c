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
import { AGENT_DEFAULT_EXCLUDED, EAGER_INSTRUMENTATIONS, METRICS_ONLY_INSTRUMENTATIONS, UPSTREAM_DEFAULT_EXCLUDED } from '../instrumentations/targets';

/** For names derived from package.json (the `@acme/checkout` -> `acme-checkout` form users know). */
export const SERVICE_NAME_MAX_LENGTH = 128;

// C0 and C1 controls: a newline or an escape in a service name breaks log lines and backend UIs.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Any string, as OpenTelemetry allows (`checkout service`, `Kasse/Süd`, `api@v2`); only what would
 * break a backend is refused: control characters (blank values never get here: blank means unset).
 */
export const parseServiceName: ValueParser<string> = (raw, variable, ctx) => {
  if (CONTROL_CHARACTERS.test(raw)) {
    ctx.report({ variable, shownValue: raw, whatIsWrong: 'contains control characters, which break log lines and backends' });
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
      const expected =
        suggestion !== undefined
          ? `did you mean ${suggestion}?`
          : `expected one of ${known.filter((n) => !METRICS_ONLY_INSTRUMENTATIONS.includes(n)).join(', ')}`;
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

/** The propagators OTEL_PROPAGATORS names (the specification's list; upstream propagator packages). */
export const PROPAGATOR_NAMES = ['tracecontext', 'baggage', 'b3', 'b3multi', 'jaeger', 'xray', 'ottrace', 'none'] as const;
export type PropagatorName = (typeof PROPAGATOR_NAMES)[number];

/** Like the exporter list: case-insensitive, deduplicated, unknown names one line each, "none" only alone. */
export const parsePropagators: ValueParser<PropagatorName[]> = (raw, variable, ctx) => {
  const names = splitCommaList(raw).map((name) => name.toLowerCase());
  let known = [...new Set(names.filter((name): name is PropagatorName => (PROPAGATOR_NAMES as readonly string[]).includes(name)))];
  if (known.includes('none') && known.length > 1) {
    ctx.report({ variable, shownValue: raw, whatIsWrong: 'combines "none" with other propagators', instead: 'ignoring "none"' });
    known = known.filter((name) => name !== 'none');
  }
  for (const name of names.filter((n) => !(PROPAGATOR_NAMES as readonly string[]).includes(n))) {
    const suggestion = closestMatch(name, PROPAGATOR_NAMES, 2);
    ctx.report({
      variable,
      shownValue: raw,
      whatIsWrong: `names an unknown propagator${describeItem(names, name)} (${suggestion !== undefined ? `did you mean ${suggestion}?` : `expected ${PROPAGATOR_NAMES.join(', ')}`})`,
      instead: known.length > 0 ? 'ignoring it' : undefined,
    });
  }
  return known.length > 0 ? { value: known } : undefined;
};

/** OTEL_NODE_RESOURCE_DETECTORS names (upstream's auto-instrumentations-node). */
export const RESOURCE_DETECTOR_NAMES = [
  'env',
  'host',
  'os',
  'process',
  'serviceinstance',
  'container',
  'aws',
  'gcp',
  'azure',
  'alibaba',
  'all',
  'none',
] as const;
export type ResourceDetectorName = Exclude<(typeof RESOURCE_DETECTOR_NAMES)[number], 'all' | 'none'>;
/** The cloud detectors call metadata endpoints over the network: only when named (or with all). */
export const CLOUD_RESOURCE_DETECTORS: readonly ResourceDetectorName[] = ['aws', 'gcp', 'azure', 'alibaba'];
export const DEFAULT_RESOURCE_DETECTORS: ResourceDetectorName[] = ['env', 'host', 'os', 'process', 'serviceinstance', 'container'];

export const parseResourceDetectors: ValueParser<ResourceDetectorName[]> = (raw, variable, ctx) => {
  const names = splitCommaList(raw).map((name) => name.toLowerCase());
  const detectors = new Set<ResourceDetectorName>();
  for (const name of names) {
    if (name === 'all') for (const all of [...DEFAULT_RESOURCE_DETECTORS, ...CLOUD_RESOURCE_DETECTORS]) detectors.add(all);
    else if (name === 'none') continue;
    else if ((RESOURCE_DETECTOR_NAMES as readonly string[]).includes(name)) detectors.add(name as ResourceDetectorName);
    else
      ctx.report({
        variable,
        shownValue: raw,
        whatIsWrong: `names an unknown resource detector${describeItem(names, name)} (expected ${RESOURCE_DETECTOR_NAMES.join(', ')})`,
        instead: 'ignoring it',
      });
  }
  return { value: [...detectors] };
};
