/**
 * W3C Trace Context Level 2 in a real process (the propagation fixture: a node:http service calling a
 * peer): an invalid tracestate is discarded whole (the request is still traced under its traceparent,
 * the span has no tracestate, the downstream call carries none), a valid one is forwarded as it came,
 * and the `random` flag is set on traces the agent starts and kept as it came on joined ones.
 * https://www.w3.org/TR/trace-context-2/#tracestate-header, #random-trace-id-flag
 */
import { expect } from 'chai';
import { startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startRecordingPeer } from '../helpers/recording-peer';
import type { RecordingPeer } from '../helpers/recording-peer';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

describe('W3C Trace Context Level 2 (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  let peer: RecordingPeer;
  const apps: RunningApp[] = [];

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
    peer = await startRecordingPeer();
  });
  after(async () => {
    for (const app of apps) app.child.kill('SIGKILL');
    peer.close();
    await receiver.close();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop();
  });

  async function start(env: Record<string, string> = {}): Promise<string> {
    const app = startApp(fixture('propagation-app.js'), {
      env: { DOWNSTREAM_URL: peer.url, TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '50', ...env },
    });
    apps.push(app);
    return `http://127.0.0.1:${await app.port()}`;
  }

  async function serverSpanOf(traceId: string) {
    const spans = await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER' && span.traceId === traceId));
    return spans.find((span) => span.kind === 'SERVER' && span.traceId === traceId)!;
  }

  it('an invalid tracestate is discarded whole: the request is traced under its traceparent, nothing is forwarded', async () => {
    receiver.reset();
    const base = await start();
    const invalid = ['rojo=1,Congo=2', Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(','), 'rojo=1,rojo=2', `rojo=${'v'.repeat(257)}`];
    for (const [index, tracestate] of invalid.entries()) {
      const traceId = TRACE_ID.slice(0, -1) + index;
      const response = await fetch(`${base}/work`, { headers: { traceparent: `00-${traceId}-${SPAN_ID}-01`, tracestate } });
      expect(response.status).to.equal(200);
      await response.text();
      expect(peer.lastHeaders().traceparent, tracestate).to.match(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(peer.lastHeaders(), tracestate).not.to.have.property('tracestate');
      const server = await serverSpanOf(traceId);
      expect({ parent: server.parentSpanId, traceState: server.traceState }, tracestate).to.deep.equal({ parent: SPAN_ID, traceState: '' });
    }
  });

  it('a valid tracestate (with empty members, OWS and the vendor form) is forwarded and kept on the span', async () => {
    receiver.reset();
    const base = await start();
    const response = await fetch(`${base}/work`, {
      headers: { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 'rojo=00f067aa0ba902b7, ,congo=t61rcWkgMzE,tenant1@vendor=x' },
    });
    await response.text();
    expect(peer.lastHeaders().tracestate).to.equal('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant1@vendor=x');
    expect((await serverSpanOf(TRACE_ID)).traceState).to.equal('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant1@vendor=x');
  });

  it('random flag: 03 on a trace the agent starts, 02 when not sampled; a joined trace keeps the incoming bit', async () => {
    const sampled = await start();
    const flagsSent = async (base: string, headers: Record<string, string> = {}) => {
      await (await fetch(`${base}/work`, { headers })).text();
      return String(peer.lastHeaders().traceparent).split('-')[3];
    };
    expect(await flagsSent(sampled)).to.equal('03');
    expect(await flagsSent(sampled, { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01` })).to.equal('01');
    expect(await flagsSent(sampled, { traceparent: `00-${TRACE_ID}-${SPAN_ID}-03` })).to.equal('03');
    const unsampled = await start({ TRACING_SAMPLE_RATE: '0' });
    expect(await flagsSent(unsampled)).to.equal('02');
  });
});
