/**
 * Writes a whole buffer to a file descriptor synchronously. Used where asynchronous streams cannot be
 * trusted to finish: the agent's stderr lines (written before a crash, or from the export worker whose
 * process.stderr is proxied through a possibly blocked main thread) and the console/file exporters.
 * A non-blocking pipe may take part of the buffer or answer EAGAIN while its reader is behind (`node
 * app | tee`, a test harness reading stdout): both are retried, pausing 1 ms between EAGAIN retries,
 * for at most MAX_WAIT_MS in all. Spinning without a pause gave up within milliseconds and the console
 * exporter dropped whole batches.
 */
import { writeSync } from 'fs';

const MAX_WAIT_MS = 5_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

export function writeAllSync(fd: number, data: string | Buffer): void {
  const buffer = typeof data === 'string' ? Buffer.from(data) : data;
  let offset = 0;
  let deadline: number | undefined;
  while (offset < buffer.length) {
    try {
      offset += writeSync(fd, buffer, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      deadline ??= Date.now() + MAX_WAIT_MS;
      if (Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
