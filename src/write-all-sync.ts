/**
 * Writes a whole buffer to a file descriptor synchronously. Used where asynchronous streams cannot be
 * trusted to finish: the agent's stderr lines (written before a crash, or from the export worker whose
 * process.stderr is proxied through a possibly blocked main thread) and the console/file exporters.
 * A non-blocking pipe may take part of the buffer or answer EAGAIN: both are retried, boundedly.
 */
import { writeSync } from 'fs';

const MAX_EAGAIN_RETRIES = 10_000;

export function writeAllSync(fd: number, data: string | Buffer): void {
  const buffer = typeof data === 'string' ? Buffer.from(data) : data;
  let offset = 0;
  let retries = 0;
  while (offset < buffer.length) {
    try {
      offset += writeSync(fd, buffer, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || ++retries > MAX_EAGAIN_RETRIES) throw err;
    }
  }
}
