import * as dgram from 'node:dgram';
import { BaseReceiver } from './base';
import { decodeJaegerAgentPacket } from './jaeger-decode';
import type { Receiver } from './types';

class JaegerUdpReceiver extends BaseReceiver {
  readonly protocol = 'jaeger-udp' as const;
  readonly url = '';
  private socket = dgram.createSocket('udp4');
  private _port = 0;

  get port(): number {
    return this._port;
  }

  async listen(port = 0): Promise<this> {
    this.socket.on('message', (msg: Buffer) => this.onPacket(msg));
    this.socket.on('error', (err) => this.decodeErrors.push(`jaeger-udp socket error: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind(port, '127.0.0.1', () => {
        this.socket.off('error', reject);
        resolve();
      });
    });
    this._port = this.socket.address().port;
    return this;
  }

  private onPacket(msg: Buffer): void {
    // UDP has no answer: 'unavailable' drops the packet, 'hang' and 'slow' just store it.
    if (this.behaviour === 'unavailable') {
      this._rejected++;
      return;
    }
    this.record(msg, undefined, () => decodeJaegerAgentPacket(msg, this.protocol));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.shutdownCommon();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** Jaeger agent (thrift binary, Agent.emitBatch) on udp4 127.0.0.1; url is ''. Point exporters at `port`. */
export async function startJaegerUdpReceiver(opts: { port?: number } = {}): Promise<Receiver> {
  return new JaegerUdpReceiver().listen(opts.port ?? 0);
}
