import type { Attributes } from '@opentelemetry/api';

/** What client IP addresses become (TRACING_PII_CLIENT_IP); see client-ip.ts. */
export type ClientIpMode = 'mask' | 'truncate' | 'keep';

export interface MaskingOptions {
  /** User regex sources (TRACING_PII_PATTERNS): matches become `***`. See user-patterns.ts for what is accepted. */
  extraPatterns?: string[];
  /** More key names whose values are secrets, matched like the built-in ones (case-insensitive, any prefix/suffix words). */
  extraKeys?: string[];
  /** Client addresses: `mask` (default), `truncate` (IPv4 /24, IPv6 /48) or `keep`. */
  clientIp?: ClientIpMode;
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
   * `spanKind` (the attributes' span's kind) tells whether `network.peer.address` is the client's
   * address (SERVER) or the server's (CLIENT); event and link attributes pass none.
   */
  maskAttributes(attributes: Attributes, spanKind?: number): Attributes;
}
