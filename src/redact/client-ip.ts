/**
 * Client IP addresses (TRACING_PII_CLIENT_IP): personal data under GDPR (CJEU C-582/14, Breyer), and
 * on every SERVER span (`client.address`, `network.peer.address`) and in forwarding headers.
 *   mask      every address becomes `***` (the default: the only mode that exports no personal data);
 *   truncate  IPv4 keeps its /24 (`203.0.113.0`), IPv6 its /48 (`2001:db8:85a3::`): the network, not the host;
 *   keep      exported as received.
 * Loopback addresses (127.0.0.0/8, ::1) identify nobody and stay in every mode, so local runs stay readable.
 *
 * `network.peer.address` is the client only on a SERVER span (on a CLIENT span it is the server we
 * called), so it is masked only there; the other keys name the client on any span.
 */
import { isIP, isIPv4, isIPv6 } from 'net';
import { MASK } from './detector';
import type { ClientIpMode } from './types';

/** Keys whose value is the client's address (or a list of them) on any span. */
const CLIENT_ADDRESS_KEYS: ReadonlySet<string> = new Set([
  'client.address',
  'client.socket.address',
  'http.client_ip',
  ...['x-forwarded-for', 'forwarded', 'x-real-ip', 'true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'fastly-client-ip', 'x-original-forwarded-for'].flatMap(
    (header) => [`http.request.header.${header}`, `http.request.header.${header.replace(/-/g, '_')}`],
  ),
]);

/** Keys that hold the peer's address: the client on a SERVER span. */
const PEER_ADDRESS_KEYS: ReadonlySet<string> = new Set(['network.peer.address', 'net.peer.ip', 'net.sock.peer.addr']);

/** IPv4 or IPv6 candidates inside a header value (`for="[2001:db8::1]:4711"`, `203.0.113.7, 70.41.3.18`). */
const ADDRESS_CANDIDATE = /(?<![\w.:])(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::\d{1,3}(?:\.\d{1,3}){3})?)(?![\w.])/g;

/** Whether a key holds the client's address: on any span, only on a SERVER span, or not at all. */
export type AddressKeyKind = 'client' | 'peer' | 'none';

export function addressKeyKind(key: string): AddressKeyKind {
  return CLIENT_ADDRESS_KEYS.has(key) ? 'client' : PEER_ADDRESS_KEYS.has(key) ? 'peer' : 'none';
}

/** Masks or truncates every IP address in a value; undefined for `keep`. */
export function compileAddressMasker(mode: ClientIpMode): ((value: string) => string) | undefined {
  if (mode === 'keep') return undefined;
  const maskAddress = mode === 'truncate' ? truncateAddress : (address: string) => (isLoopback(address) ? address : MASK);
  return (value) => {
    // The common case, a value that is one address (`client.address`, `network.peer.address`), without
    // the candidate regex: its lookbehind and IPv6 alternation cost ~2 µs per span on every SERVER span.
    if (value.length <= MAX_ADDRESS_LENGTH && isIP(value) !== 0) return maskAddress(value);
    return value.replace(ADDRESS_CANDIDATE, (candidate) => (isIPv4(candidate) || isIPv6(candidate) ? maskAddress(candidate) : candidate));
  };
}

/** The longest textual IPv6 address (IPv4-mapped, all groups written out). */
const MAX_ADDRESS_LENGTH = 45;

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.toLowerCase().startsWith('::ffff:127.');
}

/** IPv4 /24, IPv6 /48 (also an IPv4-mapped IPv6 keeps the /24 of its IPv4). */
export function truncateAddress(address: string): string {
  if (isLoopback(address)) return address;
  if (isIPv4(address)) return address.slice(0, address.lastIndexOf('.')) + '.0';
  const mapped = /^(::ffff:)(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1] + truncateAddress(mapped[2]);
  const groups = expandIPv6(address);
  if (groups === undefined) return MASK;
  return `${groups
    .slice(0, 3)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::`;
}

/** The 8 groups of an IPv6 address (an embedded IPv4 tail counts as two). */
function expandIPv6(address: string): string[] | undefined {
  const [head, tail] = address.split('::');
  const parts = (text: string | undefined) => (text ? text.split(':') : []);
  const headParts = parts(head);
  const tailParts = parts(tail);
  const groupCount = (list: string[]) => list.reduce((count, part) => count + (part.includes('.') ? 2 : 1), 0);
  const missing = 8 - groupCount(headParts) - groupCount(tailParts);
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...headParts, ...new Array<string>(missing).fill('0'), ...tailParts];
}
