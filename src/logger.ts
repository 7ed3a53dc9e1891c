/**
 * The agent's own diagnostics: one `otel-agent: ...` line per message on stderr.
 *
 * Every line is masked before it is written, here and only here (issue 11, item 5): export errors
 * and debug lines quote the collector URL (`http://user:pw@collector`), exporter errors may quote
 * headers, and diag messages from upstream quote whatever they like. Two passes:
 * 1. the configured secrets themselves (TRACING_HEADERS values, the endpoint's userinfo), registered
 *    with registerDiagnosticSecrets, replaced wherever they appear, however the message is shaped;
 * 2. the default masking policy (URL passwords, `authorization: ...`, tokens, emails...), loaded on
 *    the first line written, so a run that prints nothing never loads it.
 * A line whose masking throws is replaced by a fixed text: it is never written raw.
 *
 * Why fs.writeSync(2): the agent logs from the export worker and from 'exit' handlers, where
 * process.stderr is asynchronous (a worker's stderr is proxied through the main thread, which may be
 * blocked waiting for a flush). A direct write to fd 2 always lands, in order, before a crash.
 */
import { writeAllSync } from './write-all-sync';
import type { LogLevel } from './config/types';

const LEVEL_RANK: Record<LogLevel, number> = { none: 0, error: 1, warn: 2, info: 3, debug: 4 };
const REPEAT_WINDOW_MS = 60_000;

export interface AgentLogger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** Logs a warning at most once per `key` per minute, counting what it suppressed (no log floods). */
  warnRateLimited(key: string, message: string): void;
  /** Logs a warning only the first time `key` is seen in this process. */
  warnOnce(key: string, message: string): void;
  isEnabled(level: LogLevel): boolean;
}

export function writeStderrLine(line: string): void {
  try {
    writeAllSync(2, line.endsWith('\n') ? line : line + '\n');
  } catch {
    // Diagnostics must never hurt the app: a closed stderr is not our problem to raise.
  }
}

const SECRET_MASK = '***';
/** Shorter values (`1`, `on`) would mask ordinary words; no credential is that short. */
const MIN_SECRET_LENGTH = 4;
let diagnosticSecrets: string[] = [];
let diagnosticMasker: ((line: string) => string) | undefined;

/** Values that must never appear in a diagnostic line of this process (thread), longest first. */
export function registerDiagnosticSecrets(values: Iterable<string | undefined>): void {
  const all = new Set(diagnosticSecrets);
  for (const value of values) {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue;
    all.add(value);
    // Also as it appears in a URL or a query (`p%40ss`).
    const encoded = encodeURIComponent(value);
    if (encoded !== value) all.add(encoded);
  }
  diagnosticSecrets = [...all].sort((a, b) => b.length - a.length);
}

/** The secrets a configuration holds: header values and the endpoint's userinfo. */
export function secretsOfConfig(config: { headers?: Record<string, string>; endpoint?: string }): string[] {
  const secrets = Object.values(config.headers ?? {});
  const userinfo = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/@]*)@/.exec(config.endpoint ?? '');
  if (userinfo) {
    const colon = userinfo[1].indexOf(':');
    if (colon !== -1) secrets.push(userinfo[1].slice(colon + 1));
    try {
      if (colon !== -1) secrets.push(decodeURIComponent(userinfo[1].slice(colon + 1)));
    } catch {
      // not valid percent-encoding: the raw form is registered
    }
  }
  return secrets;
}

export function maskDiagnosticLine(line: string): string {
  try {
    let masked = line;
    for (const secret of diagnosticSecrets) if (masked.includes(secret)) masked = masked.split(secret).join(SECRET_MASK);
    if (diagnosticMasker === undefined) {
      // Required here, not at the top: the main thread loads the logger at start, and most runs never print.
      const { compileMaskingPolicy } = require('./redact/compile-policy') as typeof import('./redact/compile-policy');
      diagnosticMasker = compileMaskingPolicy().policy.maskString;
    }
    return diagnosticMasker(masked);
  } catch {
    return 'otel-agent: (a diagnostic line was withheld: it could not be masked)';
  }
}

function prefixed(message: string): string {
  return message.startsWith('otel-agent:') ? message : `otel-agent: ${message}`;
}

export function createLogger(level: LogLevel, write: (line: string) => void = writeStderrLine): AgentLogger {
  const rank = LEVEL_RANK[level] ?? LEVEL_RANK.warn;
  const lastByKey = new Map<string, { at: number; suppressed: number }>();
  const seenOnce = new Set<string>();
  const at = (needed: number) => (message: string) => {
    if (rank >= needed) write(prefixed(maskDiagnosticLine(String(message))));
  };
  const warn = at(LEVEL_RANK.warn);
  return {
    error: at(LEVEL_RANK.error),
    warn,
    info: at(LEVEL_RANK.info),
    debug: at(LEVEL_RANK.debug),
    warnRateLimited(key, message) {
      const now = Date.now();
      const last = lastByKey.get(key);
      if (last && now - last.at < REPEAT_WINDOW_MS) {
        last.suppressed++;
        return;
      }
      const suffix = last && last.suppressed > 0 ? ` (${last.suppressed} similar messages suppressed)` : '';
      lastByKey.set(key, { at: now, suppressed: 0 });
      warn(message + suffix);
    },
    warnOnce(key, message) {
      if (seenOnce.has(key)) return;
      seenOnce.add(key);
      warn(message);
    },
    isEnabled: (wanted) => rank >= LEVEL_RANK[wanted],
  };
}
