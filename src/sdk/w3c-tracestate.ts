/**
 * Validation of a W3C `tracestate` header as Trace Context Level 2 defines it, for the whole header:
 * https://www.w3.org/TR/trace-context-2/#tracestate-header
 *
 *   list        = list-member 0*31( OWS "," OWS list-member )      at most 32 members
 *   list-member = key "=" value / OWS                              empty members are allowed
 *   key         = simple-key / multi-tenant-key
 *   simple-key  = lcalpha 0*255( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
 *   multi-tenant-key = tenant-id "@" system-id
 *   tenant-id   = ( lcalpha / DIGIT ) 0*240( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
 *   system-id   = lcalpha 0*13( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
 *   value       = 0*255(chr) nblk-chr
 *   nblk-chr    = %x21-2B / %x2D-3C / %x3E-7E                      printable ASCII but "," and "="
 *   chr         = %x20 / nblk-chr
 * and "Only one entry per key is allowed" (#combined-header-value): a key twice makes the list invalid
 * (the W3C test suite's test_tracestate_duplicated_keys expects such a header to be discarded).
 *
 * Why ours: upstream's TraceState (@opentelemetry/core 2.11.0 build/src/trace/TraceState.js
 * `_getState`) parses member by member and silently drops the invalid ones (and everything past the
 * 32nd), forwarding the rest as if the header were valid; the specification's processing model treats
 * a header that does not parse as one not received. So the propagator (w3c-trace-context-propagator.ts)
 * asks this function first and hands upstream only headers that are valid as a whole; upstream still
 * parses, keeps and serializes those. The key and value grammar is the same as upstream's validators
 * (core build/src/internal/validators.js); test/unit/sdk/w3c-tracestate.test.ts compares both.
 * https://github.com/open-telemetry/opentelemetry-js/blob/main/packages/opentelemetry-core/src/trace/TraceState.ts
 * https://github.com/open-telemetry/opentelemetry-js/blob/main/packages/opentelemetry-core/src/internal/validators.ts
 * https://github.com/w3c/trace-context/blob/main/test/test.py (test_tracestate_* cases)
 */
export const MAX_TRACESTATE_MEMBERS = 32;

const KEY_CHAR = '[a-z0-9_*/-]';
const SIMPLE_KEY = `[a-z]${KEY_CHAR}{0,255}`;
const MULTI_TENANT_KEY = `[a-z0-9]${KEY_CHAR}{0,240}@[a-z]${KEY_CHAR}{0,13}`;
const KEY = new RegExp(`^(?:${SIMPLE_KEY}|${MULTI_TENANT_KEY})$`);
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
/** OWS (RFC 7230 section 3.2.3): spaces and horizontal tabs. */
const OWS_AROUND = /^[ \t]+|[ \t]+$/g;

/** Why a tracestate header is invalid, or undefined when it is valid (an empty header is valid). */
export function tracestateProblem(header: string): string | undefined {
  const keys = new Set<string>();
  for (const rawMember of header.split(',')) {
    const member = rawMember.replace(OWS_AROUND, '');
    if (member === '') continue;
    const equals = member.indexOf('=');
    if (equals === -1) return 'a list member without "="';
    const key = member.slice(0, equals);
    if (!KEY.test(key)) return `invalid key ${JSON.stringify(key.slice(0, 40))}`;
    if (!VALUE.test(member.slice(equals + 1))) return `invalid value for key ${JSON.stringify(key)}`;
    if (keys.has(key)) return `duplicate key ${JSON.stringify(key)}`;
    keys.add(key);
    if (keys.size > MAX_TRACESTATE_MEMBERS) return `more than ${MAX_TRACESTATE_MEMBERS} list members`;
  }
  return undefined;
}

export function isValidTracestate(header: string): boolean {
  return tracestateProblem(header) === undefined;
}
