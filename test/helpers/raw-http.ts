/**
 * HTTP/1.1 over a raw `net` socket, for byte-for-byte comparisons: the request is exactly the bytes
 * given (two servers get identical requests), and the response is kept as the server sent it: status
 * line, headers in order with their case, framing (Content-Length / chunked) and the body de-chunked.
 * `rawExchange` sends one request with `Connection: close` (the response ends when the server closes
 * the socket); `keepAliveExchange` sends a keep-alive request, reads the response by its framing, then
 * sends a second request on the same connection, to see whether the connection is still usable, as a
 * pooling client would. A reply that is empty, truncated or badly framed is reported in `problems`,
 * never thrown.
 */
import * as net from 'net';

export type HeaderList = [name: string, value: string][];

export interface RawRequest {
  method: string;
  path: string;
  /** HTTP version on the request line; default 1.1. */
  version?: '1.0' | '1.1';
  /** Sent in this order and case, after nothing else; Content-Length is added for a body. */
  headers: HeaderList;
  body?: string | Buffer;
}

export interface RawResponse {
  /** Every byte the server sent. */
  raw: Buffer;
  /** Header blocks of interim responses (100 Continue, 103 Early Hints) before this one, as sent. */
  interim: string[];
  /** e.g. `HTTP/1.1 500 Internal Server Error`; '' for an empty reply. */
  statusLine: string;
  status: number;
  headers: HeaderList;
  /** The message body: de-chunked when chunked, the first Content-Length bytes otherwise. */
  body: Buffer;
  chunked: boolean;
  /** How the body was split into chunks on the wire (chunked only). */
  chunkSizes: number[];
  /** Framing problems (empty reply, truncated body, bytes past Content-Length, ...); [] when sound. */
  problems: string[];
}

export function encodeRequest(request: RawRequest): Buffer {
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const lines = [`${request.method} ${request.path} HTTP/${request.version ?? '1.1'}`, ...request.headers.map(([name, value]) => `${name}: ${value}`)];
  if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
}

/** Sends `bytes` to 127.0.0.1:port and collects everything until the server closes the connection. */
export function sendRaw(port: number, bytes: Buffer, timeoutMs = 5_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of response within ${timeoutMs} ms; received so far:\n${Buffer.concat(chunks).toString('latin1')}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server may reset instead of closing after it replied: what arrived is the reply.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    // write, not end: a half-closed client makes Node's server end the socket before a late response
    socket.write(bytes);
  });
}

const NO_BODY_STATUS = (status: number) => (status >= 100 && status < 200) || status === 204 || status === 304;

/**
 * Interim responses (100 Continue, 103 Early Hints) before the final one: their header blocks, and the
 * offset where the final response starts.
 */
function interimResponses(data: Buffer): { blocks: string[]; start: number } {
  const blocks: string[] = [];
  let start = 0;
  for (;;) {
    const code = /^HTTP\/1\.[01] (1\d\d)/.exec(data.subarray(start, start + 12).toString('latin1'))?.[1];
    if (code === undefined || code === '101') break; // 101 switches protocols: nothing final follows
    const end = data.indexOf('\r\n\r\n', start);
    if (end < 0) break;
    blocks.push(data.subarray(start, end).toString('latin1'));
    start = end + 4;
  }
  return { blocks, start };
}

/** Parses one response (the whole connection's bytes). `head`: it answers a HEAD request (no body). */
export function parseResponse(all: Buffer, head = false): RawResponse {
  const interim = interimResponses(all);
  const raw = all.subarray(interim.start);
  const result: RawResponse = {
    raw: all,
    interim: interim.blocks,
    statusLine: '',
    status: 0,
    headers: [],
    body: Buffer.alloc(0),
    chunked: false,
    chunkSizes: [],
    problems: [],
  };
  if (raw.length === 0) {
    result.problems.push('empty reply: the server closed the connection without sending a final response');
    return result;
  }
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) {
    result.problems.push(`no end of the header block in ${raw.length} bytes`);
    return result;
  }
  const [statusLine, ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  result.statusLine = statusLine;
  result.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    result.headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  const rest = raw.subarray(end + 4);
  const lengths = result.headers.filter(([name]) => name.toLowerCase() === 'content-length').map(([, value]) => value);
  const encoding = result.headers.find(([name]) => name.toLowerCase() === 'transfer-encoding')?.[1];
  result.chunked = encoding !== undefined && /(^|,)\s*chunked\s*$/i.test(encoding);
  if (lengths.length > 1) result.problems.push(`${lengths.length} Content-Length headers: ${lengths.join(', ')}`);
  if (result.chunked && lengths.length > 0) result.problems.push('both Content-Length and Transfer-Encoding: chunked');
  if (head || NO_BODY_STATUS(result.status)) {
    if (rest.length > 0) result.problems.push(`${rest.length} bytes after the header block of a response without a body`);
    return result;
  }
  if (result.chunked) {
    dechunk(rest, result);
  } else if (lengths.length > 0) {
    const length = Number(lengths[0]);
    result.body = rest.subarray(0, length);
    if (rest.length < length) result.problems.push(`Content-Length ${length} but only ${rest.length} body bytes before the connection closed`);
    if (rest.length > length) result.problems.push(`Content-Length ${length} but ${rest.length} bytes followed the header block`);
  } else {
    result.body = rest; // delimited by the close
  }
  return result;
}

function dechunk(data: Buffer, result: RawResponse): void {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) {
      result.problems.push('chunked body truncated (no last chunk)');
      break;
    }
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0], 16);
    if (Number.isNaN(size)) {
      result.problems.push(`bad chunk size line at byte ${at}`);
      break;
    }
    at = lineEnd + 2;
    if (size === 0) {
      // trailers (none expected) then CRLF
      const trailerEnd = data.indexOf('\r\n', at);
      if (trailerEnd !== at) result.problems.push('chunked body: trailers or a missing final CRLF after the last chunk');
      else if (data.length > at + 2) result.problems.push(`${data.length - at - 2} bytes after the last chunk`);
      break;
    }
    if (data.length < at + size + 2) {
      result.problems.push(`chunked body truncated inside a ${size}-byte chunk`);
      parts.push(data.subarray(at));
      break;
    }
    parts.push(data.subarray(at, at + size));
    result.chunkSizes.push(size);
    at += size + 2;
  }
  result.body = Buffer.concat(parts);
}

/**
 * The length of the first complete response in `data` by its framing, or undefined while incomplete
 * (or when it has no framing and so ends only when the connection closes).
 */
export function responseLength(data: Buffer, head = false): number | undefined {
  const { start: finalStart } = interimResponses(data);
  const end = data.indexOf('\r\n\r\n', finalStart);
  if (end < 0) return undefined;
  const parsed = parseResponse(data.subarray(finalStart, end + 4), head);
  if (head || NO_BODY_STATUS(parsed.status)) return end + 4;
  const start = end + 4;
  if (parsed.chunked) {
    let at = start;
    for (;;) {
      const lineEnd = data.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(data.subarray(at, lineEnd).toString('latin1').split(';')[0], 16);
      if (Number.isNaN(size)) return data.length; // unparseable: take it all, parseResponse reports it
      at = lineEnd + 2;
      if (size === 0) return data.indexOf('\r\n', at) === at ? at + 2 : undefined;
      at += size + 2;
      if (at > data.length) return undefined;
    }
  }
  const length = headerValues(parsed.headers, 'content-length')[0];
  if (length === undefined) return undefined;
  return data.length >= start + Number(length) ? start + Number(length) : undefined;
}

export interface KeepAliveExchange {
  response: RawResponse;
  /**
   * The answer to the second request on the same connection, or undefined when the server closed the
   * connection after (or instead of) the first response.
   */
  second: RawResponse | undefined;
}

/**
 * Sends `request` (keep-alive: it must not carry `Connection: close`), reads its response by framing,
 * waits `idleMs`, then sends `second` (which should carry `Connection: close`) on the same connection;
 * `pipelined` sends both at once instead.
 */
export function keepAliveExchange(
  port: number,
  request: RawRequest,
  second: RawRequest,
  { timeoutMs = 5_000, idleMs = 75, pipelined = false }: { timeoutMs?: number; idleMs?: number; pipelined?: boolean } = {},
): Promise<KeepAliveExchange> {
  return new Promise((resolve, reject) => {
    const head = request.method === 'HEAD';
    let pause: NodeJS.Timeout | undefined;
    let data = Buffer.alloc(0);
    let first: RawResponse | undefined;
    let firstLength = 0;
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of the exchange within ${timeoutMs} ms; received so far:\n${data.toString('latin1')}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (first !== undefined) return;
      const length = responseLength(data, head);
      if (length === undefined) return;
      first = parseResponse(data.subarray(0, length), head);
      firstLength = length;
      if (pipelined) return;
      // Idle a moment first: a server that tears the connection down just after the response (e.g. an
      // error handler's socket.destroy() a few event-loop turns later) must be seen doing so.
      pause = setTimeout(() => {
        if (!socket.destroyed) socket.write(encodeRequest(second));
      }, idleMs);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      clearTimeout(pause);
      if (first === undefined) return resolve({ response: parseResponse(data, head), second: undefined });
      const rest = data.subarray(firstLength);
      resolve({ response: first, second: rest.length === 0 ? undefined : parseResponse(rest, second.method === 'HEAD') });
    });
    // Pipelined: both requests at once; the server must answer them in order.
    socket.write(pipelined ? Buffer.concat([encodeRequest(request), encodeRequest(second)]) : encodeRequest(request));
  });
}

/** One request, one response. */
export async function rawExchange(port: number, request: RawRequest, timeoutMs?: number): Promise<RawResponse> {
  return parseResponse(await sendRaw(port, encodeRequest(request), timeoutMs), request.method === 'HEAD');
}

export function headerValues(headers: HeaderList, name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([key]) => key.toLowerCase() === lower).map(([, value]) => value);
}

/** Renders a response for assertion messages: status line, headers, body (latin1, so bytes map 1:1). */
export function describeResponse(response: RawResponse, maxBody = 400): string {
  const body = response.body.toString('latin1');
  return [
    ...response.interim.map((block) => `${block}\n`),
    response.statusLine || '(no status line)',
    ...response.headers.map(([name, value]) => `${name}: ${value}`),
    '',
    body.length > maxBody ? `${body.slice(0, maxBody)}... (${body.length} bytes)` : body,
    ...(response.problems.length ? [`PROBLEMS: ${response.problems.join('; ')}`] : []),
  ].join('\n');
}
