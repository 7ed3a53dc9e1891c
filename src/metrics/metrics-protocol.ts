/**
 * Messages on the metrics channel: a MessagePort of its own between the main thread
 * (metrics-pipeline.ts) and the export worker (worker/metrics-host.ts), opened by one 'metrics'
 * message on the worker's span channel (sdk/worker-protocol.ts) and separate from span hand-off.
 */
import type { MetricsSnapshot } from './snapshot';

export type ToMetricsHost =
  /** The answer to a 'collect'. */
  | { type: 'snapshot'; id: number; snapshot: MetricsSnapshot }
  /**
   * The last export (exit, shutdown): exported by every push exporter, then acknowledged through
   * the shared signal (the main thread may be blocked in Atomics.wait) and by a 'final-done' message.
   * `deadline` is wall-clock ms.
   */
  | { type: 'final'; id: number; snapshot: MetricsSnapshot; deadline: number };

export type FromMetricsHost = { type: 'collect'; id: number } | { type: 'final-done'; id: number };

/** Slot of the shared Int32Array holding the id of the last final export completed (or given up). */
export const FINAL_EXPORT_DONE_SLOT = 0;
export const METRICS_SIGNAL_SLOTS = 1;
