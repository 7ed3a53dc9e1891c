/**
 * PII masking: a policy compiled once at start (built-in detectors, sensitive keys, user patterns)
 * and applied to every finished span before any exporter sees it.
 */
export type { MaskingOptions, MaskingPolicy } from './types';
export { compileMaskingPolicy } from './compile-policy';
export { maskSpanRecord } from './mask-span-record';
