/** Messages between the main thread's WorkerSpanProcessor and the export worker. */
import type { Attributes } from '@opentelemetry/api';
import type { MessagePort } from 'worker_threads';
import type { AgentConfig } from '../config/types';
import type { EncodedSpanBatch } from './span-codec';

export interface ExportWorkerData {
  /** Marks the thread so a preloaded register.ts never starts an agent inside it. */
  otelAgentExportWorker: true;
  config: AgentConfig;
  /** Read on the main thread: the worker's own process.argv differs. */
  processAttributes: Attributes;
  /** The app's root folder: exception stack paths under it are made relative. */
  appRoot: string;
  /** The slots both threads share while the main thread blocks at exit (flush-signal.ts owns their layout). */
  flushSignal: SharedArrayBuffer;
}

export type ToExportWorker =
  /** Ended spans in the hand-off format (span-codec.ts); `batch.buffer` is transferred. */
  | { type: 'spans'; batch: EncodedSpanBatch }
  /**
   * Export `batch` (if any) and everything queued; then acknowledge by message (async) or through flushSignal
   * (sync). `deadline` is wall-clock (Date.now()) ms, shared by both threads: the worker may only start
   * on this message well after it was posted (e.g. still loading its exporters).
   */
  | { type: 'flush'; id: number; batch: EncodedSpanBatch | undefined; sync: boolean; shutdown: boolean; timeoutMs: number; deadline: number }
  /**
   * Metrics are on: `port` is the metrics channel (metrics/metrics-protocol.ts), `signal` its
   * SharedArrayBuffer for the final export at exit. Sent once; carries no spans.
   */
  | { type: 'metrics'; port: MessagePort; signal: SharedArrayBuffer };

export type FromExportWorker = { type: 'flushed'; id: number };
