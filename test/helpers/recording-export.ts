/**
 * Stands in for the export worker in unit tests of keep-by-outcome: records what it is given
 * (sampled spans through onEnd, kept ones through acceptKept, with why).
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { WorkerSpanProcessor } from '../../src/sdk/worker-span-processor';

export class RecordingExport {
  readonly sampled: ReadableSpan[] = [];
  readonly kept: { span: ReadableSpan; keptBy: string }[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.sampled.push(span);
  }
  acceptKept(span: ReadableSpan, keptBy: string): void {
    this.kept.push({ span, keptBy });
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  /** As the type keep-by-outcome takes (it calls only the methods above). */
  asExportProcessor(): WorkerSpanProcessor {
    return this as unknown as WorkerSpanProcessor;
  }
}
