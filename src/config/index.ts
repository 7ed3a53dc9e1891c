export { loadConfig, type LoadConfigOptions } from './load-config';
export { renderEnvExample, renderReadmeTable } from './render-docs';
export { ALL_OPTIONS, CONFIG_OPTIONS, TRACING_VARIABLES, defaultConfig, displayValue, optionFor, redactSecrets } from './schema';
export type { AnyConfigOption, ConfigOption, OptionType } from './option-types';
export * from './types';
