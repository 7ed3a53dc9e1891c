import type { Attributes } from '@opentelemetry/api';

export interface MaskingOptions {
  /** User regex sources (TRACING_PII_PATTERNS): matches become `***`. See user-patterns.ts for what is accepted. */
  extraPatterns?: string[];
  /** More key names whose values are secrets, matched like the built-in ones (case-insensitive, any prefix/suffix words). */
  extraKeys?: string[];
}

export interface MaskingPolicy {
  /**
   * Masks sensitive text. Returns the same string when nothing matched. Strings longer than 64 KiB
   * are cut: the first 64 KiB (to a word boundary) is masked and the rest replaced by `…[truncated N chars]`.
   */
  maskString(value: string): string;
  /**
   * Masks attribute values: a sensitive key masks its whole value; other string values (and the
   * strings of arrays) go through maskString. Returns a new object, or the same object when nothing
   * changed; never mutates its input. A value that cannot be masked is left out of the result.
   */
  maskAttributes(attributes: Attributes): Attributes;
}
