/**
 * The shape of one row of the config table (schema.ts) and what its parsers may use.
 * Kept apart from schema.ts so the generic parsers can be typed without importing the table.
 */
import type { AgentConfig, ConfigKey } from './types';
import type { Problem } from './problem-line';
import type { AppPackage } from './app-package';

/** A parsed value, or undefined when the input was rejected (the parser has reported why). */
export type Parsed<T> =
  { value: T; /** Overrides the variable name, e.g. OTEL_TRACES_SAMPLER_ARG read on behalf of OTEL_TRACES_SAMPLER. */ source?: string } | undefined;

/** Everything a parser may look at besides the raw value. */
export interface ResolveContext {
  /** Trimmed value of an environment variable; undefined when unset or blank (blank means unset). */
  read(variable: string): string | undefined;
  report(problem: Problem): void;
  /** Relative paths (TRACING_FILE_PATH, TRACING_CA_FILE) are resolved against this. */
  readonly cwd: string;
  /** The application's package.json, when one was found. */
  readonly appPackage: AppPackage | undefined;
  /** Options resolved so far, in table order: later rows may depend on earlier ones (endpoint on exporters). */
  readonly resolved: Readonly<Partial<AgentConfig>>;
  /** OTEL_RESOURCE_ATTRIBUTES, parsed once; several options read keys out of it. */
  resourceAttributes(): Record<string, string>;
}

/** `raw` is already trimmed and non-blank; `variable` is the name to put in problem lines. */
export type ValueParser<T> = (raw: string, variable: string, ctx: ResolveContext) => Parsed<T>;

export interface OtelFallback<T> {
  envVar: string;
  /** How the OTEL_* value maps onto the option, for the docs; omitted when it means the same thing. */
  note?: string;
  /** Omitted: the option's own parser is used. */
  parse?: ValueParser<T>;
  /**
   * When false the variable is skipped as if unset, e.g. the OTLP endpoint variables when no OTLP
   * exporter is selected. Unlike a rejected value, a skipped variable lets the next one have its turn.
   */
  appliesWhen?: (ctx: ResolveContext) => boolean;
}

export type OptionType =
  'boolean' | 'string' | 'integer' | 'number' | 'url' | 'path' | 'list' | 'key=value list' | 'enum' | 'JSON array or string' | 'JSON array';

export interface ConfigOption<K extends ConfigKey = ConfigKey> {
  key: K;
  /** undefined only for resourceAttributes, which is read from OTEL_RESOURCE_ATTRIBUTES alone. */
  envVar: string | undefined;
  /** In precedence order; consulted only when envVar is unset (a rejected value means the default). */
  otelFallbacks: OtelFallback<AgentConfig[K]>[];
  type: OptionType;
  /** The last resort, used when no variable gives a valid value and derivedDefault gives nothing. */
  default: AgentConfig[K];
  /** For the docs, when the effective default is more than `default` (e.g. "app package.json name"). */
  defaultDoc?: string;
  /** A default computed at load time (package.json name, a path resolved against cwd). */
  derivedDefault?: (ctx: ResolveContext) => { value: AgentConfig[K]; source: string } | undefined;
  parse: ValueParser<AgentConfig[K]>;
  /** For optional fields: what undefined means, e.g. "each exporter's default endpoint". */
  whenUnset?: string;
  /** Values are printed as `key=***` by the CLI and never echoed in problem lines. */
  secret?: boolean;
  /** One line, for the env example, the README table and `otel-agent config --help`. */
  doc: string;
}

/** Any row of the table (a union, so that each row keeps its own value type). */
export type AnyConfigOption = { [K in ConfigKey]: ConfigOption<K> }[ConfigKey];
