/** Messages between the main thread's WorkerSpanProcessor and the export worker. */
import type { Attributes } from '@opentelemetry/api';
import type { AgentConfig } from '../config/types';
import type { SpanRecord } from './span-record';

export interface ExportWorkerData {
  /** Marks the thread so a preloaded register.ts never starts an agent inside it. */
  otelAgentExportWorker: true;
  config: AgentConfig;
  /** Read on the main thread: the worker's own process.argv differs. */
  processAttributes: Attributes;
  /** The app's root folder: exception stack paths under it are made relative. */
  appRoot: string;
  /** Int32Array over a SharedArrayBuffer: slot 0 holds the id of the last completed synchronous flush. */
  flushSignal: SharedArrayBuffer;
}

export type ToExportWorker =
  | { type: 'spans'; spans: SpanRecord[] }
  /** Export `spans` and everything queued; then acknowledge by message (async) or through flushSignal (sync). */
  | { type: 'flush'; id: number; spans: SpanRecord[]; sync: boolean; shutdown: boolean; timeoutMs: number };

export type FromExportWorker = { type: 'flushed'; id: number };
