import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { BaseReceiver, decodeContentEncoding, plainHeaders } from './base';
import type { ReceivedSpan, ReceiverTls } from './types';

export interface HttpAnswer {
  status: number;
  contentType?: string;
  body?: Buffer | string;
}

export interface HttpDecodeResult {
  spans: ReceivedSpan[];
  /** The answer to send when the export is accepted. */
  ok: HttpAnswer;
}

/** node:http (or node:https) server on 127.0.0.1 that applies the receiver behaviour to POSTs on one path. */
export abstract class HttpReceiverBase extends BaseReceiver {
  protected server!: http.Server | https.Server;
  private _port = 0;
  private tls = false;
  protected abstract readonly path: string;

  get port(): number {
    return this._port;
  }
  /** 'http://127.0.0.1:PORT', or 'https://localhost:PORT' with TLS (the name the certificate is issued for). */
  get url(): string {
    return `${this.tls ? `https://localhost` : `http://127.0.0.1`}:${this._port}${this.path}`;
  }

  /** Decodes an (already de-compressed) body; throw to answer 400 (or an HttpStatusError for another status). */
  protected abstract decode(body: Buffer, headers: http.IncomingHttpHeaders): HttpDecodeResult;
  /** Answer sent while behaviour is 'unavailable'. */
  protected unavailableAnswer(): HttpAnswer {
    return { status: 503, contentType: 'text/plain', body: 'receiver set to unavailable' };
  }

  async listen(port = 0, tls?: ReceiverTls): Promise<this> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res);
    this.tls = !!tls;
    const clientAuth = tls?.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {};
    this.server = tls ? https.createServer({ key: tls.key, cert: tls.cert, ...clientAuth }, handler) : http.createServer(handler);
    if (tls) this.server.on('tlsClientError', (err: Error) => this.tlsErrors.push(err.message));
    // Never let a stalled client keep the server from closing; close() destroys sockets anyway.
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this._port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const pathname = (req.url ?? '').split('?')[0];
      if (pathname !== this.path) return send(res, { status: 404, contentType: 'text/plain', body: `not found: ${pathname}` });
      if (req.method !== 'POST') return send(res, { status: 405, contentType: 'text/plain', body: 'POST only' });
      const behaviour = this.behaviour;
      if (behaviour === 'unavailable') {
        this._rejected++;
        return send(res, this.unavailableAnswer());
      }
      let body: Buffer;
      try {
        body = decodeContentEncoding(Buffer.concat(chunks), header(req.headers['content-encoding']));
      } catch (err) {
        const msg = `${this.protocol}: ${(err as Error).message}`;
        this.decodeErrors.push(msg);
        return send(res, { status: 400, contentType: 'text/plain', body: msg });
      }
      let answer: HttpAnswer = { status: 400 };
      let failure: unknown;
      const ok = this.record(body, plainHeaders(req.headers), () => {
        try {
          const r = this.decode(body, req.headers);
          answer = r.ok;
          return r.spans;
        } catch (err) {
          failure = err;
          throw err;
        }
      });
      if (!ok) {
        const status = failure instanceof HttpStatusError ? failure.status : 400;
        const msg = failure instanceof Error ? failure.message : String(failure);
        return send(res, { status, contentType: 'text/plain', body: msg });
      }
      if (behaviour === 'hang') return; // accepted, never answered; close() destroys the socket
      if (typeof behaviour === 'object') return this.later(behaviour.slowMs, () => send(res, answer));
      send(res, answer);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.shutdownCommon();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function send(res: http.ServerResponse, a: HttpAnswer): void {
  if (res.destroyed || res.writableEnded) return;
  const body = a.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(a.body) ? a.body : Buffer.from(a.body);
  const headers: http.OutgoingHttpHeaders = { 'content-length': body.length };
  if (a.contentType) headers['content-type'] = a.contentType;
  res.writeHead(a.status, headers);
  res.end(body);
}
