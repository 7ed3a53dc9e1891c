/**
 * The agent's own diagnostics: one `otel-agent: ...` line per message on stderr.
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

function prefixed(message: string): string {
  return message.startsWith('otel-agent:') ? message : `otel-agent: ${message}`;
}

export function createLogger(level: LogLevel, write: (line: string) => void = writeStderrLine): AgentLogger {
  const rank = LEVEL_RANK[level] ?? LEVEL_RANK.warn;
  const lastByKey = new Map<string, { at: number; suppressed: number }>();
  const seenOnce = new Set<string>();
  const at = (needed: number) => (message: string) => {
    if (rank >= needed) write(prefixed(message));
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
