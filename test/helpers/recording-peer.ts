/**
 * A plain downstream service on loopback that remembers the headers of the last request it got: what
 * an instrumented app propagated. `responseHeaders` are set on every answer.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface RecordingPeer {
  readonly url: string;
  /** Headers of the last request received ({} before the first). */
  lastHeaders(): http.IncomingHttpHeaders;
  close(): void;
}

export async function startRecordingPeer(responseHeaders: Record<string, string> = {}): Promise<RecordingPeer> {
  let last: http.IncomingHttpHeaders = {};
  const server = http.createServer((req, res) => {
    last = req.headers;
    for (const [name, value] of Object.entries(responseHeaders)) res.setHeader(name, value);
    res.end('peer');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lastHeaders: () => last,
    close: () => server.close(),
  };
}
