/**
 * Every trace_id a customer sees leads to a trace, at any sample rate (TRACING_KEEP_ERRORS), slow
 * requests can be kept (TRACING_KEEP_SLOWER_THAN_MS), health checks produce nothing
 * (TRACING_IGNORE_PATHS), and the sampling rules, rate limit and OpenTelemetry samplers hold.
 * Real processes, a real OTLP receiver. Statistical bounds are stated where sampling is random.
 */
import { expect } from 'chai';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { refusedPort } from '../helpers/refused-port';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { ReceivedSpan, Receiver } from '../helpers/receivers';

const APP = fixture('keep-outcome-app.js');
const FAILING = ['/throw', '/next-err', '/raw500', '/client-fail'];

interface Answer {
  path: string;
  status: number;
  traceId: string;
  /** The trace_id in the JSON body, when there is one. */
  bodyTraceId: string | undefined;
}

/** The trace id of any response: Server-Timing (TRACING_RESPONSE_HEADER=true), which every response carries. */
async function ask(port: number, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  const text = await response.text();
  const timing = /trace;desc=00-([0-9a-f]{32})-/.exec(response.headers.get('server-timing') ?? '');
  const body = /"trace_id":"([0-9a-f]{32})"/.exec(text);
  return { path, status: response.status, traceId: timing ? timing[1] : '', bodyTraceId: body?.[1] };
}

const serverSpans = (spans: ReceivedSpan[]) => spans.filter((span) => span.kind === 'SERVER');

describe('keeping errors and slow requests at any sample rate (integration)', function () {
  this.timeout(90_000);
  let receiver: Receiver;
  let downstream: http.Server;
  let downstreamUrl: string;
  let refusedUrl: string;
  const apps: RunningApp[] = [];

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
    // A plain peer for the routes that call out first.
    downstream = http.createServer((req, res) => res.end('{}')).listen(0, '127.0.0.1');
    await new Promise((resolve) => downstream.once('listening', resolve));
    downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`;
    refusedUrl = `http://127.0.0.1:${await refusedPort()}/refused`;
  });
  after(async () => {
    for (const app of apps) app.child.kill('SIGKILL');
    downstream.close();
    await receiver.close();
  });

  async function start(env: Record<string, string>, serviceName = 'keeper'): Promise<number> {
    const app = startApp(APP, {
      env: {
        TRACING_SERVICE_NAME: serviceName,
        TRACING_ENDPOINT: receiver.url,
        TRACING_SCHEDULE_DELAY_MS: '100',
        TRACING_RESPONSE_HEADER: 'true',
        DOWNSTREAM_URL: downstreamUrl,
        REFUSED_URL: refusedUrl,
        ...env,
      },
    });
    apps.push(app);
    return app.port();
  }

  /** 90 successes and 10 failures (each failing route in turn), interleaved. */
  async function hundredRequests(port: number): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (let i = 0; i < 100; i++) answers.push(await ask(port, i % 10 === 9 ? FAILING[((i / 10) | 0) % FAILING.length] : '/ok'));
    return answers;
  }

  /** Waits until every given trace has its SERVER span at the receiver, then a little more for stragglers. */
  async function spansOf(traceIds: string[]): Promise<ReceivedSpan[]> {
    await receiver.waitForSpans((spans) => traceIds.every((id) => spans.some((span) => span.traceId === id && span.kind === 'SERVER')), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    return receiver.spans.slice();
  }

  for (const rate of ['0', '0.1']) {
    it(`TRACING_SAMPLE_RATE=${rate}: all 10 failures are exported with their spans and exception events; successes at the sample rate`, async () => {
      receiver.reset();
      // Every express layer span (mode all), so each failure has children to bring along: under the
      // default (auto) a fast handler that answers 500 without an error (/raw500) has none.
      const port = await start({ TRACING_SAMPLE_RATE: rate, TRACING_EXPRESS_MIDDLEWARE_SPANS: 'all' });
      const answers = await hundredRequests(port);
      const failures = answers.filter((answer) => answer.status >= 500);
      expect(failures).to.have.length(10);
      // The id in every JSON error body is the id of the trace that is exported.
      for (const failure of failures) if (failure.path !== '/throw') expect(failure.bodyTraceId, failure.path).to.equal(failure.traceId);
      const spans = await spansOf(failures.map((failure) => failure.traceId));
      for (const failure of failures) {
        const trace = spans.filter((span) => span.traceId === failure.traceId);
        const server = trace.find((span) => span.kind === 'SERVER')!;
        expect(server.status.code, failure.path).to.equal('ERROR');
        // Thrown errors are exception events on the SERVER span; a failed outgoing call is one on its CLIENT span.
        const withException = failure.path === '/client-fail' ? trace.find((span) => span.kind === 'CLIENT')! : server;
        if (failure.path !== '/raw500')
          expect(
            withException.events.some((event) => event.name === 'exception'),
            failure.path,
          ).to.equal(true);
        // Child spans come along: express middleware spans, and the outgoing call.
        expect(trace.length, failure.path).to.be.greaterThan(1);
        if (failure.path === '/next-err' || failure.path === '/client-fail')
          expect(
            trace.some((span) => span.kind === 'CLIENT'),
            failure.path,
          ).to.equal(true);
        if (rate === '0') for (const span of trace) expect(span.attributes['otel_agent.kept_by'], `${failure.path} ${span.name}`).to.equal('error');
        // Propagation stays honest: the head decision (not sampled) is what the trace carries.
        if (rate === '0') expect(server.traceId).to.equal(failure.traceId);
      }
      const exportedOk = new Set(
        serverSpans(spans)
          .filter((span) => span.attributes['url.path'] === '/ok')
          .map((span) => span.traceId),
      );
      if (rate === '0') {
        expect(exportedOk.size).to.equal(0);
      } else {
        // Binomial(90, 0.1): mean 9; P(outside 1..25) < 1e-4.
        expect(exportedOk.size).to.be.within(1, 25);
        for (const span of serverSpans(spans).filter((s) => exportedOk.has(s.traceId))) expect(span.attributes['otel_agent.kept_by']).to.equal(undefined);
      }
    });
  }

  it('the CLIENT call of a kept trace carries the head decision (traceparent flags 02: not sampled, random id) downstream', async () => {
    // The downstream peer records what it received.
    let received = '';
    const peer = http.createServer((req, res) => {
      received = String(req.headers.traceparent ?? '');
      res.end('{}');
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    try {
      const port = await start({ TRACING_SAMPLE_RATE: '0', DOWNSTREAM_URL: `http://127.0.0.1:${(peer.address() as AddressInfo).port}` });
      const answer = await ask(port, '/next-err');
      expect(answer.status).to.equal(500);
      expect(received).to.match(new RegExp(`^00-${answer.traceId}-[0-9a-f]{16}-02$`));
    } finally {
      peer.close();
    }
  });

  it('two services under the agent, the downstream one fails: both keep their error under the one trace id', async () => {
    receiver.reset();
    const downstreamPort = await start({ TRACING_SAMPLE_RATE: '0' }, 'inventory');
    const upstreamPort = await start({ TRACING_SAMPLE_RATE: '0', DOWNSTREAM_URL: `http://127.0.0.1:${downstreamPort}` }, 'shop');
    const answer = await ask(upstreamPort, '/call-downstream');
    expect(answer.status).to.equal(502);
    expect(answer.bodyTraceId).to.equal(answer.traceId);
    const spans = await receiver.waitForSpans((all) => serverSpans(all).filter((span) => span.traceId === answer.traceId).length === 2, 15_000);
    const servers = serverSpans(spans).filter((span) => span.traceId === answer.traceId);
    expect(servers.map((span) => span.resource['service.name']).sort()).to.deep.equal(['inventory', 'shop']);
    for (const server of servers) expect(server.attributes['otel_agent.kept_by']).to.equal('error');
  });

  it('4xx: kept when the trace id is in the JSON body, not for a plain 404', async () => {
    receiver.reset();
    const port = await start({ TRACING_SAMPLE_RATE: '0' });
    const invalid = await ask(port, '/invalid');
    const missing = await ask(port, '/missing');
    expect(invalid.bodyTraceId).to.equal(invalid.traceId);
    const spans = await spansOf([invalid.traceId]);
    expect(spans.some((span) => span.traceId === missing.traceId)).to.equal(false);
  });

  it('TRACING_KEEP_SLOWER_THAN_MS keeps slow requests (kept_by=slow); TRACING_KEEP_ERRORS=false keeps no failure', async () => {
    receiver.reset();
    const port = await start({ TRACING_SAMPLE_RATE: '0', TRACING_KEEP_SLOWER_THAN_MS: '100', TRACING_KEEP_ERRORS: 'false', SLOW_MS: '150' });
    const slow = await ask(port, '/slow');
    const failed = await ask(port, '/raw500');
    const fast = await ask(port, '/ok');
    const spans = await spansOf([slow.traceId]);
    expect(serverSpans(spans).find((span) => span.traceId === slow.traceId)!.attributes['otel_agent.kept_by']).to.equal('slow');
    expect(spans.some((span) => span.traceId === failed.traceId || span.traceId === fast.traceId)).to.equal(false);
  });

  it('TRACING_IGNORE_PATHS: no span for the health check, other paths traced', async () => {
    receiver.reset();
    const port = await start({ TRACING_IGNORE_PATHS: '/healthz,/internal/**' });
    for (let i = 0; i < 5; i++) await ask(port, '/healthz');
    const ok = await ask(port, '/ok');
    await spansOf([ok.traceId]);
    expect(receiver.spans.filter((span) => span.attributes['url.path'] === '/healthz')).to.deep.equal([]);
  });

  it('TRACING_SAMPLING_RULES: first match wins (path glob and express route) over TRACING_SAMPLE_RATE', async () => {
    receiver.reset();
    const rules = JSON.stringify([
      { path: '/ok', method: 'POST', sample_rate: 0 },
      { path: '/o*', sample_rate: 1 },
      { route: '/users/:id', sample_rate: 1 },
    ]);
    const port = await start({ TRACING_SAMPLE_RATE: '0', TRACING_KEEP_ERRORS: 'false', TRACING_SAMPLING_RULES: rules });
    const answers = [await ask(port, '/ok'), await ask(port, '/users/7'), await ask(port, '/users/8'), await ask(port, '/missing')];
    const spans = await spansOf(answers.slice(0, 3).map((answer) => answer.traceId));
    expect(spans.some((span) => span.traceId === answers[3].traceId)).to.equal(false);
  });

  it('TRACING_MAX_TRACES_PER_SECOND bounds new traces (token bucket); failures are kept beyond it', async () => {
    receiver.reset();
    const port = await start({ TRACING_MAX_TRACES_PER_SECOND: '5' });
    const started = Date.now();
    const answers: Answer[] = [];
    for (let i = 0; i < 60; i++) answers.push(await ask(port, '/ok'));
    const elapsedSeconds = (Date.now() - started) / 1000;
    const failed = await ask(port, '/raw500');
    await spansOf([failed.traceId]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const exported = new Set(
      serverSpans(receiver.spans)
        .filter((span) => span.attributes['url.path'] === '/ok')
        .map((span) => span.traceId),
    );
    // A full bucket (5) plus 5 a second while the requests ran: a deterministic bound, not a statistical one.
    expect(exported.size).to.be.at.most(5 + Math.ceil(5 * elapsedSeconds) + 1);
    expect(exported.size).to.be.at.least(5);
  });

  it("OTEL_TRACES_SAMPLER keeps the specification's meaning: always_on ignores an unsampled parent, always_off a sampled one", async () => {
    receiver.reset();
    const parent = (flags: string) => ({ traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-${flags}` });
    const on = await start({ OTEL_TRACES_SAMPLER: 'always_on', TRACING_KEEP_ERRORS: 'false' });
    const off = await start({ OTEL_TRACES_SAMPLER: 'always_off', TRACING_KEEP_ERRORS: 'false' });
    const parentBased = await start({ TRACING_KEEP_ERRORS: 'false' });
    const onAnswer = await ask(on, '/users/1', parent('00'));
    await ask(off, '/users/2', parent('01'));
    await ask(parentBased, '/users/3', parent('00'));
    const marker = await ask(parentBased, '/users/4', parent('01'));
    await spansOf([onAnswer.traceId, marker.traceId]);
    const paths = serverSpans(receiver.spans)
      .map((span) => span.attributes['url.path'])
      .sort();
    expect(paths).to.deep.equal(['/users/1', '/users/4']);
  });
});
