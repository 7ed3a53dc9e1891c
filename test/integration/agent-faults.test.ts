/**
 * Faults inside the agent, injected from outside by the test-only preload test/fixtures/faults/preload.js
 * (loaded with -r before the agent; the shipped code reads no test switch): when the JSON
 * error-body rewrite throws, the response goes out byte-identical to the app without the agent; when
 * masking throws (in the export worker), the span is still exported, but only as the skeleton of
 * src/sdk/prepare-span-record.ts, with nothing raw in it. Either way: exactly one warning line.
 */
import { expect } from 'chai';
import { startApp, type RunningApp } from '../helpers/app-process';
import { fixture, REGISTER } from '../helpers/paths';
import { startOtlpGrpcReceiver, type Receiver } from '../helpers/receivers';

interface Answer {
  status: number;
  headers: Record<string, string | null>;
  body: Buffer;
}

const COMPARED_HEADERS = ['content-type', 'content-length', 'etag', 'x-powered-by'];
const CARD = '4111111111111111';
const EMAIL = 'jane.doe@example.com';
const PII_PATH = `/users/${CARD}?email=${EMAIL}`;

async function request(app: RunningApp, target: string): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${await app.port()}${target}`);
  const headers = Object.fromEntries(COMPARED_HEADERS.map((name) => [name, response.headers.get(name)]));
  return { status: response.status, headers, body: Buffer.from(await response.arrayBuffer()) };
}

function agentLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '');
}

describe('faults inside the agent (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  let bare: RunningApp;
  const running: RunningApp[] = [];

  function startWithFault(fault: string): RunningApp {
    const app = startApp(fixture('express5-app.js'), {
      agent: 'none',
      nodeArgs: ['-r', fixture('faults/preload.js'), '-r', REGISTER],
      env: { AGENT_TEST_FAULTS: fault, TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '100' },
    });
    running.push(app);
    return app;
  }

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
    bare = startApp(fixture('express5-app.js'), { agent: 'none' });
    running.push(bare);
    await bare.port();
  });

  beforeEach(() => receiver.reset());

  after(async () => {
    await Promise.all(running.map((app) => app.stop('SIGKILL')));
    await receiver?.close();
  });

  it('a throw in the error-body rewrite: the error response is byte-identical to the bare app, the span is exported, one warning', async () => {
    const app = startWithFault('error-body');
    for (let i = 0; i < 3; i++) {
      const [withAgent, without] = await Promise.all([request(app, '/fail'), request(bare, '/fail')]);
      expect(withAgent.status).to.equal(500);
      expect(withAgent.body.toString()).not.to.include('trace_id');
      expect(withAgent.body.equals(without.body), `${withAgent.body} vs ${without.body}`).to.equal(true);
      expect(withAgent.headers).to.deep.equal(without.headers);
    }
    const spans = await receiver.waitForSpans((all) => all.filter((span) => span.kind === 'SERVER').length >= 3, 20_000);
    const server = spans.find((span) => span.kind === 'SERVER')!;
    expect(server.attributes['http.response.status_code']).to.equal(500);
    expect((await app.stop('SIGTERM')).code).to.equal(0);
    const lines = agentLines(app.stderr);
    expect(lines, app.stderr).to.have.lengthOf(1);
    expect(lines[0]).to.match(/^otel-agent: internal error in error-body-trace-id .*injected error-body fault/);
    expect(app.stderr).not.to.include('\n    at ');
  });

  it('a throw while masking: every span is exported as a skeleton, no PII reaches the collector, one warning', async () => {
    const app = startWithFault('masking');
    for (const target of [PII_PATH, PII_PATH, `/fail?email=${EMAIL}`]) {
      const [withAgent, without] = await Promise.all([request(app, target), request(bare, target)]);
      expect(withAgent.status).to.equal(without.status);
      // The masking fault is in the export worker: the /fail body still gets its trace_id by design.
      if (withAgent.status === 200) expect(withAgent.body.equals(without.body)).to.equal(true);
    }
    const spans = await receiver.waitForSpans((all) => all.filter((span) => span.kind === 'SERVER').length >= 3, 20_000);
    expect((await app.stop('SIGTERM')).code).to.equal(0);
    expect(spans.filter((span) => span.kind === 'SERVER')).to.have.length.of.at.least(3);
    for (const span of receiver.spans) {
      expect(span.name).to.equal('masking-failed');
      expect(span.attributes).to.deep.equal({ 'otel_agent.masking_failed': true });
      expect(span.events).to.deep.equal([]);
      expect(span.status.message).to.equal('');
    }
    const wire = Buffer.concat(receiver.rawPayloads).toString('latin1');
    for (const secret of [CARD, EMAIL, 'jane.doe', '/users/', '/fail']) expect(wire, secret).not.to.include(secret);
    const lines = agentLines(app.stderr);
    expect(lines, app.stderr).to.have.lengthOf(1);
    expect(lines[0]).to.match(/^otel-agent: internal error while masking a span .*injected masking fault/);
    expect(app.stderr).not.to.include('\n    at ');
  });

  it('with the preload but no fault the same requests are edited and masked (so the tests above can fail)', async () => {
    const app = startWithFault('');
    const failed = await request(app, '/fail');
    expect(JSON.parse(failed.body.toString()).trace_id).to.match(/^[0-9a-f]{32}$/);
    await request(app, PII_PATH);
    const spans = await receiver.waitForSpans((all) => all.filter((span) => span.kind === 'SERVER').length >= 2, 20_000);
    expect(spans.some((span) => span.name !== 'masking-failed')).to.equal(true);
    expect(Buffer.concat(receiver.rawPayloads).toString('latin1')).not.to.include(CARD);
    await app.stop('SIGTERM');
    expect(app.stderr).to.equal('');
  });
});
