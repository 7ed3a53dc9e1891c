/**
 * Environment -> AgentConfig. For each row of the table, the first variable that is set decides:
 * TRACING_* first, then its OTEL_* fallbacks in order. When none is set, or the one that is set is
 * garbage (reported), the default applies: a derived one (package.json, cwd), else the static one.
 * Garbage does not fall through to a lower-precedence variable: `TRACING_ENABLED=maybe` keeps the
 * agent on even with OTEL_SDK_DISABLED=true, and the docs can say "OTEL_* is used when TRACING_* is unset".
 *
 * Pure apart from reading the app's package.json and checking file access; never throws and never
 * writes to stderr: problems are returned for the caller to log.
 */
import * as path from 'path';
import { registerDiagnosticSecrets, secretsOfConfig } from '../logger';
import type { AgentConfig, ConfigKey, ConfigSources, LoadedConfig } from './types';
import type { AnyConfigOption, ConfigOption, OtelFallback, ResolveContext, ValueParser } from './option-types';
import { formatProblemLine, type Problem } from './problem-line';
import { findAppPackage, type AppPackage } from './app-package';
import { createEnvReader } from './value-parsers';
import { parseResourceAttributes, RESOURCE_ATTRIBUTES_VARIABLE, SAMPLER_ARG_VARIABLE, samplerArgApplies } from './otel-fallbacks';
import { ALL_OPTIONS, cloneValue, defaultConfig, displayValue, optionFor, TRACING_VARIABLES } from './schema';
import { closestMatch } from './did-you-mean';
import { errorNameAndMessage } from '../error-message';

export interface LoadConfigOptions {
  /** Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where to start looking for the app's package.json; defaults to the main script's directory, else cwd. */
  appRoot?: string;
}

const DEFAULT_SOURCE = 'default';

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  try {
    return resolveAll(options.env ?? process.env, options.appRoot ?? defaultAppRoot());
  } catch (error) {
    return {
      config: defaultConfig(),
      sources: defaultSources(),
      problems: [`otel-agent: internal error while reading the configuration (${errorNameAndMessage(error)}); using the defaults for every option`],
    };
  }
}

/** `node -r agent app.js`: argv[1] is app.js, whose package.json names the service. */
function defaultAppRoot(): string {
  const mainScript = process.argv[1];
  return mainScript ? path.dirname(path.resolve(mainScript)) : process.cwd();
}

function resolveAll(env: NodeJS.ProcessEnv, appRoot: string): LoadedConfig {
  const read = createEnvReader(env);
  const cwd = process.cwd();
  const problems = new ProblemCollector();
  const config: Partial<Record<ConfigKey, unknown>> = {};
  const sources: Partial<Record<ConfigKey, string>> = {};

  let appPackage: AppPackage | undefined | null = null; // null: not looked up yet
  let resourceAttributes: Record<string, string> | undefined;
  const ctx: ResolveContext = {
    read,
    report: (problem) => problems.add(problem),
    cwd,
    get appPackage() {
      // Lazy: only read when a default needs it.
      if (appPackage === null) appPackage = safely(() => findAppPackage(appRoot));
      return appPackage;
    },
    resolved: config as Partial<AgentConfig>,
    resourceAttributes: () => {
      if (resourceAttributes === undefined) {
        const raw = read(RESOURCE_ATTRIBUTES_VARIABLE);
        resourceAttributes = (raw === undefined ? undefined : parseResourceAttributes(raw, RESOURCE_ATTRIBUTES_VARIABLE, ctx)?.value) ?? {};
      }
      return resourceAttributes;
    },
  };

  for (const row of ALL_OPTIONS) {
    problems.startOption();
    let resolved: { value: unknown; source: string };
    try {
      resolved = resolveOption(row, ctx);
    } catch (error) {
      // A bug in one parser costs that option, not the whole configuration.
      resolved = { value: cloneValue(row.default), source: DEFAULT_SOURCE };
      const envVar = row.envVar;
      const shownValue = row.secret ? '***' : ((envVar === undefined ? undefined : safely(() => read(envVar))) ?? '');
      problems.add({ variable: row.envVar ?? row.key, shownValue, whatIsWrong: `could not be read (internal error: ${errorNameAndMessage(error)})` });
    }
    config[row.key] = resolved.value;
    sources[row.key] = resolved.source;
    problems.finishOption(describeReplacement(row, resolved));
  }

  clampBatchToQueue(config as AgentConfig, sources as ConfigSources, ctx, problems);
  warnWhenRequestsGoUntraced(config as AgentConfig, sources as ConfigSources, ctx, problems);
  warnWhenSamplerArgIsIgnored(ctx, problems);
  requireBothClientTlsHalves(config as AgentConfig, sources as ConfigSources, ctx, problems);
  reportUnknownVariables(env, problems);
  reportUnsupportedOtelVariables(env, problems);

  // Every diagnostic line of this process masks these from now on (src/logger.ts).
  registerDiagnosticSecrets(secretsOfConfig(config as AgentConfig));
  return { config: config as AgentConfig, sources: sources as ConfigSources, problems: problems.lines() };
}

/** "using 1", "using acme-checkout from package.json", "using the system CAs". */
function describeReplacement(row: AnyConfigOption, resolved: { value: unknown; source: string }): string {
  const value = resolved.value;
  const isEmpty = (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);
  const shown = value === undefined ? (row.whenUnset ?? 'nothing') : isEmpty ? 'none' : displayValue(row, value);
  return `using ${shown}${resolved.source === DEFAULT_SOURCE ? '' : ` from ${resolved.source}`}`;
}

function resolveOption(row: ConfigOption, ctx: ResolveContext): { value: unknown; source: string } {
  const candidates: Array<OtelFallback<unknown> & { parse: ValueParser<unknown> }> = [
    ...(row.envVar === undefined ? [] : [{ envVar: row.envVar, parse: row.parse }]),
    ...row.otelFallbacks.map((fallback) => ({ envVar: fallback.envVar, parse: fallback.parse ?? row.parse, appliesWhen: fallback.appliesWhen })),
  ];
  for (const candidate of candidates) {
    if (candidate.appliesWhen !== undefined && !candidate.appliesWhen(ctx)) continue;
    const raw = ctx.read(candidate.envVar);
    if (raw === undefined) continue;
    const parsed = candidate.parse(raw, candidate.envVar, ctx);
    if (parsed !== undefined) return { value: parsed.value, source: parsed.source ?? candidate.envVar };
    break; // rejected (and reported): the default, not the next variable
  }
  return row.derivedDefault?.(ctx) ?? { value: cloneValue(row.default), source: DEFAULT_SOURCE };
}

/** A batch larger than the queue can never fill; the exporter would wait for the timer every time. */
function clampBatchToQueue(config: AgentConfig, sources: ConfigSources, ctx: ResolveContext, problems: ProblemCollector): void {
  if (config.batchSize <= config.maxQueueSize) return;
  const batchVariable = sources.batchSize;
  problems.startOption();
  if (batchVariable !== DEFAULT_SOURCE) {
    problems.add({
      variable: batchVariable,
      shownValue: ctx.read(batchVariable) ?? String(config.batchSize),
      whatIsWrong: `is larger than the queue size (${config.maxQueueSize})`,
      instead: `using ${config.maxQueueSize}`,
    });
  } else {
    // The user only set the queue: name that variable, and record the batch size as derived from it.
    problems.add({
      variable: sources.maxQueueSize,
      shownValue: ctx.read(sources.maxQueueSize) ?? String(config.maxQueueSize),
      whatIsWrong: `is smaller than the default batch size (${optionFor('batchSize').default})`,
      instead: `using a batch size of ${config.maxQueueSize}`,
    });
    sources.batchSize = sources.maxQueueSize;
  }
  problems.finishOption('');
  config.batchSize = config.maxQueueSize;
}

/**
 * Without the http instrumentation no incoming request has a server span: the error-path promises
 * (trace_id in JSON error bodies, exception events, the response header) silently do nothing. The list
 * is still honoured (a user may want outgoing calls only); the line says what it costs.
 */
function warnWhenRequestsGoUntraced(config: AgentConfig, sources: ConfigSources, ctx: ResolveContext, problems: ProblemCollector): void {
  if (config.instrumentations.includes('http') || sources.instrumentations === DEFAULT_SOURCE) return;
  problems.startOption();
  problems.add({
    variable: sources.instrumentations,
    shownValue: ctx.read(sources.instrumentations) ?? config.instrumentations.join(','),
    whatIsWrong:
      'does not include http: incoming requests get no server span, so JSON error bodies carry no trace_id, TRACING_RESPONSE_HEADER adds nothing and request errors are not recorded',
    instead: `using ${config.instrumentations.join(',') || 'none'} as given`,
  });
  problems.finishOption('');
}

/** A client key without its certificate (or the reverse) cannot authenticate: neither is used, in one line. */
function requireBothClientTlsHalves(config: AgentConfig, sources: ConfigSources, ctx: ResolveContext, problems: ProblemCollector): void {
  if ((config.clientKeyFile === undefined) === (config.clientCertFile === undefined)) return;
  const [present, missing] =
    config.clientKeyFile !== undefined ? (['clientKeyFile', 'TRACING_CLIENT_CERT_FILE'] as const) : (['clientCertFile', 'TRACING_CLIENT_KEY_FILE'] as const);
  problems.startOption();
  problems.add({
    variable: sources[present],
    shownValue: ctx.read(sources[present]) ?? String(config[present]),
    whatIsWrong: `is set without ${missing} (or its OTEL_* fallback)`,
    instead: 'no client certificate is sent',
  });
  problems.finishOption('');
  config.clientKeyFile = undefined;
  config.clientCertFile = undefined;
}

/** OTEL_TRACES_SAMPLER_ARG means something only as the argument of a named ratio sampler (the specification). */
function warnWhenSamplerArgIsIgnored(ctx: ResolveContext, problems: ProblemCollector): void {
  const arg = ctx.read(SAMPLER_ARG_VARIABLE);
  if (arg === undefined || ctx.read('TRACING_SAMPLE_RATE') !== undefined || samplerArgApplies(ctx)) return;
  const sampler = ctx.read('OTEL_TRACES_SAMPLER');
  problems.startOption();
  problems.add({
    variable: SAMPLER_ARG_VARIABLE,
    shownValue: arg,
    whatIsWrong: sampler === undefined ? 'is set but OTEL_TRACES_SAMPLER names no ratio sampler' : `is not an argument of OTEL_TRACES_SAMPLER=${sampler}`,
    instead: 'ignored',
  });
  problems.finishOption('');
}

/** Values of unknown variables may still be secrets (TRACING_HEADER=authorization=...). */
const SECRET_LOOKING_NAME = /HEADER|TOKEN|SECRET|PASSW|KEY|AUTH|CREDENTIAL|CERT/i;

function reportUnknownVariables(env: NodeJS.ProcessEnv, problems: ProblemCollector): void {
  const known = new Set(TRACING_VARIABLES);
  problems.startOption();
  for (const [name, value] of Object.entries(env)) {
    // Case-insensitive prefix: `tracing_sample_rate` is a mistake worth naming too.
    if (!/^TRACING_/i.test(name) || known.has(name) || value === undefined || value.trim() === '') continue;
    const caseOnly = TRACING_VARIABLES.find((candidate) => candidate === name.toUpperCase());
    const suggestion = caseOnly ?? closestMatch(name.toUpperCase(), TRACING_VARIABLES, 3);
    const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?${caseOnly ? ' names are case-sensitive' : ''})`;
    problems.add({
      variable: name,
      shownValue: SECRET_LOOKING_NAME.test(name) || (suggestion !== undefined && optionFor(keyOf(suggestion)).secret) ? '***' : value.trim(),
      whatIsWrong: `is an unknown variable${hint}`,
      instead: 'ignored',
    });
  }
  problems.finishOption('');
}

/**
 * OTEL_* variables that upstream's register (auto-instrumentations-node, NodeSDK) honours and the agent
 * does not. Each set one is named on stderr, never ignored in silence. `satisfiedBy`: values for which
 * the agent already does what was asked (it exports no metrics or logs; its HTTP spans use the stable
 * semantic conventions).
 */
const UPSTREAM_ONLY_VARIABLES: ReadonlyArray<{ names: readonly string[]; why: string; satisfiedBy?: RegExp }> = [
  { names: ['OTEL_METRICS_EXPORTER', 'OTEL_LOGS_EXPORTER'], why: 'the agent exports traces only', satisfiedBy: /^none$/i },
  {
    names: ['METRICS', 'LOGS'].flatMap((signal) =>
      ['ENDPOINT', 'PROTOCOL', 'HEADERS', 'TIMEOUT', 'COMPRESSION', 'CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE', 'INSECURE'].map(
        (setting) => `OTEL_EXPORTER_OTLP_${signal}_${setting}`,
      ),
    ),
    why: 'the agent exports traces only',
  },
  {
    names: [
      'OTEL_METRIC_EXPORT_INTERVAL',
      'OTEL_METRIC_EXPORT_TIMEOUT',
      'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
      'OTEL_EXPORTER_PROMETHEUS_HOST',
      'OTEL_EXPORTER_PROMETHEUS_PORT',
    ],
    why: 'the agent exports traces only',
  },
  {
    names: [
      'OTEL_BLRP_SCHEDULE_DELAY',
      'OTEL_BLRP_EXPORT_TIMEOUT',
      'OTEL_BLRP_MAX_QUEUE_SIZE',
      'OTEL_BLRP_MAX_EXPORT_BATCH_SIZE',
      'OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT',
      'OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT',
    ],
    why: 'the agent exports traces only',
  },
  {
    names: ['OTEL_EXPORTER_OTLP_INSECURE', 'OTEL_EXPORTER_OTLP_TRACES_INSECURE'],
    // The specification applies it only to gRPC endpoints given without a scheme.
    why: "the endpoint's scheme decides: http:// is plaintext, https:// is TLS",
  },
  { names: ['OTEL_EXPORTER_ZIPKIN_TIMEOUT'], why: 'use TRACING_EXPORT_TIMEOUT_MS' },
  {
    names: ['OTEL_EXPORTER_JAEGER_ENDPOINT', 'OTEL_EXPORTER_JAEGER_USER', 'OTEL_EXPORTER_JAEGER_PASSWORD', 'OTEL_EXPORTER_JAEGER_TIMEOUT'],
    why: 'use TRACING_ENDPOINT for a Jaeger collector',
  },
  { names: ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS'], why: 'use TRACING_INSTRUMENTATIONS' },
  { names: ['OTEL_SEMCONV_STABILITY_OPT_IN'], why: 'the agent emits the stable HTTP semantic conventions only', satisfiedBy: /^(?:http(?:\/dup)?)(?:,|$)/ },
  { names: ['OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS', 'OTEL_CONFIG_FILE', 'OTEL_EXPERIMENTAL_CONFIG_FILE'], why: 'not supported yet' },
];

function reportUnsupportedOtelVariables(env: NodeJS.ProcessEnv, problems: ProblemCollector): void {
  const supported = new Set<string>([SAMPLER_ARG_VARIABLE, RESOURCE_ATTRIBUTES_VARIABLE]);
  for (const row of ALL_OPTIONS) for (const fallback of row.otelFallbacks) supported.add(fallback.envVar);
  const upstreamOnly = new Map<string, { why: string; satisfiedBy?: RegExp }>();
  for (const entry of UPSTREAM_ONLY_VARIABLES) for (const name of entry.names) if (!supported.has(name)) upstreamOnly.set(name, entry);
  const known = [...supported, ...upstreamOnly.keys()];
  problems.startOption();
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('OTEL_') || supported.has(name) || value === undefined || value.trim() === '') continue;
    const shownValue = SECRET_LOOKING_NAME.test(name) ? '***' : value.trim();
    const entry = upstreamOnly.get(name);
    if (entry !== undefined) {
      if (entry.satisfiedBy?.test(value.trim())) continue;
      problems.add({ variable: name, shownValue, whatIsWrong: `is not supported by the agent (${entry.why})`, instead: 'ignored' });
      continue;
    }
    // Other tools' OTEL_* variables exist too: only a near miss of one we know is worth a line.
    const suggestion = closestMatch(name, known, 3);
    if (suggestion !== undefined)
      problems.add({ variable: name, shownValue, whatIsWrong: `is an unknown variable (did you mean ${suggestion}?)`, instead: 'ignored' });
  }
  problems.finishOption('');
}

function keyOf(envVar: string): ConfigKey {
  return (ALL_OPTIONS.find((row) => row.envVar === envVar) ?? ALL_OPTIONS[0]).key;
}

/**
 * Collects problems, dropping exact repeats (OTEL_RESOURCE_ATTRIBUTES and the protocol variables are
 * read on behalf of several options). Problems without an "instead" get the option's final value.
 */
class ProblemCollector {
  private readonly _done: string[] = [];
  private readonly _seen = new Set<string>();
  private _pending: Problem[] = [];

  startOption(): void {
    this._pending = [];
  }

  add(problem: Problem): void {
    const identity = `${problem.variable}\u0000${problem.shownValue}\u0000${problem.whatIsWrong}`;
    if (this._seen.has(identity)) return;
    this._seen.add(identity);
    this._pending.push(problem);
  }

  finishOption(instead: string): void {
    for (const problem of this._pending) this._done.push(formatProblemLine({ ...problem, instead: problem.instead ?? instead }));
    this._pending = [];
  }

  lines(): string[] {
    return [...this._done];
  }
}

function defaultSources(): ConfigSources {
  const sources: Partial<Record<ConfigKey, string>> = {};
  for (const row of ALL_OPTIONS) sources[row.key] = DEFAULT_SOURCE;
  return sources as ConfigSources;
}

function safely<T>(action: () => T): T | undefined {
  try {
    return action();
  } catch {
    return undefined;
  }
}
