/**
 * The leaks of issue 11, reproduced as a user would meet them: a real app under the agent, real
 * requests, and the exported bytes read back from an OTLP receiver and from the file exporter (plus
 * the agent's stderr for its own diagnostics). Each case failed on main before its fix.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { refusedPort } from '../helpers/refused-port';
import { startOtlpGrpcReceiver, startOtlpHttpReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers/types';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Every form a reader of the exported text could recover a secret from. */
function readableForms(secret: string): string[] {
  const encoded = encodeURIComponent(secret);
  return [...new Set([secret, encoded, encodeURIComponent(encoded), secret.replace(/ /g, '+'), secret.replace(/ /g, '%20')])];
}

function leaksIn(outputs: Record<string, string>, secrets: string[]): string[] {
  const leaks: string[] = [];
  for (const secret of secrets) {
    for (const form of readableForms(secret)) {
      for (const [where, text] of Object.entries(outputs)) if (text.includes(form)) leaks.push(`${JSON.stringify(form)} in ${where}`);
    }
  }
  return leaks;
}

async function runLeakScenario(receiver: Receiver, exporter: 'otlp' | 'otlp-http', extraEnv: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-issue11-'));
  const tracesFile = path.join(dir, 'traces.jsonl');
  const app = startApp(fixture('pii-app.js'), {
    env: { TRACING_EXPORTER: `${exporter},file`, TRACING_ENDPOINT: receiver.url, TRACING_FILE_PATH: tracesFile, TRACING_SCHEDULE_DELAY_MS: '50', ...extraEnv },
  });
  try {
    const base = `http://127.0.0.1:${await app.port()}`;
    const get = (pathAndQuery: string, headers: Record<string, string> = {}) => fetch(base + pathAndQuery, { headers }).then((r) => r.text());
    const q = encodeURIComponent;
    // 1. nested form keys, in a SERVER query, in a CLIENT (fetch) URL and in an exception message
    await get(`/fail?msg=${q('user[password]=NestedPw11 and data[credentials][api_key]=NestedKey22')}`);
    await get(`/fetch?target=${q('/ok?user%5Bpassword%5D=NestedPw33&token[]=NestedTok44')}`);
    // 2. phones with a long group and national formats
    await get(`/fail?msg=${q('call +49 151 12345678 or 020 7946 0958 or 0044 7700 900123')}`);
    // 3. signed URLs on a fetch CLIENT span
    await get(
      `/fetch?target=${q('/ok?sv=2022&sig=AzureSasSig55%2B%3D&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F2024&X-Amz-Security-Token=AmzSessTok66&X-Amz-Signature=a1b2c3d4e5f6a7b8c9d0&X-Goog-Signature=GoogSig77aa')}`,
    );
    // 4. tracestate sent by a client
    await get('/ok', { traceparent: TRACEPARENT, tracestate: 'acme=trace.state.user@example.com,pay=4111111111111111,gov=123-45-6789' });
    // 6. IDN emails
    await get(`/fail?msg=${q('dave.miller@müller.de and jörg.schmidt@example.com')}`);
    // 7. an email in an attribute key, a card set as a number
    await get(`/attrs?key=${q('notify.frank.keyowner@example.com')}&value=1&pan=4111111111111111`);
    // 8. a long message with an encoded phone and a double-encoded email
    await get(`/long?msg=${q(`p=${q('+49 151 98765432')} e=${q(q('long.message.user@example.com'))}`)}`);
    // 9. formats not covered before
    await get(
      `/fail?msg=${q('IBAN DE89370400440532013000, SSN 123456789, key AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY, sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z')}`,
    );
    await get(`/fetch?target=${q('/auth/callback?code=OauthCode88xyz&state=OauthState99xyz')}`);
    // 10. the client's address, through a proxy
    await get('/ok', { 'x-forwarded-for': '203.0.113.77' });
    // 11. not a phone
    await get(`/fail?msg=${q('heap grew +12345678 bytes')}`);
    await receiver.waitForSpans(
      (spans) => spans.filter((s) => s.kind === 'SERVER').length >= 14 && spans.some((s) => s.name.includes('/ok') && s.traceId === TRACEPARENT.slice(3, 35)),
    );
    const exit = await app.stop('SIGTERM');
    expect(exit.code, app.stderr).to.equal(0);
    return { spans: receiver.spans, wire: Buffer.concat(receiver.rawPayloads), file: fs.readFileSync(tracesFile, 'utf8'), stderr: app.stderr };
  } finally {
    await app.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const SECRETS = [
  'NestedPw11',
  'NestedKey22',
  'NestedPw33',
  'NestedTok44',
  '151 12345678',
  '15112345678',
  '020 7946',
  '7700 900',
  'AzureSasSig55',
  'AKIAIOSFODNN7EXAMPLE',
  'AmzSessTok66',
  'a1b2c3d4e5f6a7b8c9d0',
  'GoogSig77aa',
  'trace.state.user',
  '4111111111111111',
  '123-45-6789',
  'dave.miller',
  'jörg.schmidt',
  'örg.schmidt',
  'notify.frank.keyowner',
  'otify.frank.keyowner',
  '151 98765432',
  'long.message.user',
  '370400440532013000',
  '123456789',
  '9tSrke72PouQMnMX',
  'Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z',
  'OauthCode88xyz',
  'OauthState99xyz',
  '203.0.113.77',
];

describe('issue 11 leaks, in real processes (integration)', function () {
  this.timeout(120_000);

  for (const exporter of ['otlp', 'otlp-http'] as const) {
    it(`nothing of items 1-4 and 6-10 reaches ${exporter === 'otlp' ? 'OTLP gRPC' : 'OTLP HTTP'} or the file exporter; item 11 survives`, async () => {
      const receiver = exporter === 'otlp' ? await startOtlpGrpcReceiver() : await startOtlpHttpReceiver();
      try {
        const run = await runLeakScenario(receiver, exporter);
        const outputs = { [`${exporter} wire bytes (utf8)`]: run.wire.toString('utf8'), 'file exporter': run.file };
        const leaks = leaksIn(outputs, SECRETS);
        expect(leaks, leaks.join('\n')).to.deep.equal([]);
        // the spans are there (an empty export cannot pass), masked rather than dropped
        const tracestateSpan = run.spans.find((s) => s.traceId === TRACEPARENT.slice(3, 35));
        expect(tracestateSpan?.traceState).to.match(/^acme=t\*\*\*@example\.com,pay=/);
        const attrsSpan = run.spans.find((s) => s.attributes['payment.pan'] !== undefined);
        expect(attrsSpan?.attributes['payment.pan']).to.equal('****-****-****-1111');
        expect(Object.keys(attrsSpan!.attributes)).to.include('n***@example.com');
        // the proxied request's client.address (from X-Forwarded-For) is masked; loopback peers stay
        const addresses = run.spans.filter((s) => s.kind === 'SERVER').map((s) => s.attributes['client.address']);
        expect(addresses).to.include('***');
        expect(addresses).to.include('127.0.0.1');
        const messages = run.spans.flatMap((s) => s.events.map((e) => String(e.attributes['exception.message'] ?? '')));
        expect(messages).to.include('failed for heap grew +12345678 bytes');
        expect(messages.some((m) => m.startsWith('failed for call ***-***-5678 or ***-***-0958 or ***-***-0123'))).to.equal(true, messages.join('\n'));
        const clientUrls = run.spans.filter((s) => s.kind === 'CLIENT').map((s) => String(s.attributes['url.full'] ?? ''));
        expect(clientUrls.some((u) => u.includes('sig=***') && u.includes('X-Amz-Signature=***'))).to.equal(true, clientUrls.join('\n'));
      } finally {
        await receiver.close();
      }
    });
  }

  it('TRACING_PII_CLIENT_IP=truncate exports the /24', async () => {
    const receiver = await startOtlpGrpcReceiver();
    try {
      const run = await runLeakScenario(receiver, 'otlp', { TRACING_PII_CLIENT_IP: 'truncate' });
      const addresses = run.spans.filter((s) => s.kind === 'SERVER').map((s) => s.attributes['client.address']);
      expect(addresses).to.include('203.0.113.0');
      expect(run.wire.toString('utf8')).not.to.include('203.0.113.77');
    } finally {
      await receiver.close();
    }
  });

  it("5. the collector password and header values never appear in the agent's own lines, at debug level", async () => {
    const port = await refusedPort();
    const app = startApp(fixture('pii-app.js'), {
      env: {
        TRACING_EXPORTER: 'otlp-http,otlp',
        TRACING_ENDPOINT: `http://collector-user:CollectorPw5x@127.0.0.1:${port}`,
        TRACING_HEADERS: 'x-honeycomb-team=HdrSecret5y,authorization=Bearer HdrBearer5z',
        TRACING_LOG_LEVEL: 'debug',
        TRACING_SCHEDULE_DELAY_MS: '50',
        TRACING_EXPORT_TIMEOUT_MS: '1000',
      },
    });
    try {
      const base = `http://127.0.0.1:${await app.port()}`;
      await fetch(`${base}/ok`).then((r) => r.text());
      // wait for the failed exports to be reported
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !/export to .* failed/.test(app.stderr)) await new Promise((resolve) => setTimeout(resolve, 100));
      await app.stop('SIGTERM');
      expect(app.stderr, 'the export failure was reported (so the test can see what it prints)').to.match(/export to .* failed/);
      expect(app.stderr).to.include('collector-user:***@');
      for (const secret of ['CollectorPw5x', 'HdrSecret5y', 'HdrBearer5z']) expect(app.stderr, app.stderr).not.to.include(secret);
    } finally {
      await app.stop('SIGKILL');
    }
  });

  it('12. TRACING_ERROR_BODY_FIELD=__proto__ is one stderr line and the default field is used', async () => {
    const receiverless = startApp(fixture('pii-app.js'), { env: { TRACING_EXPORTER: 'none', TRACING_ERROR_BODY_FIELD: '__proto__' } });
    try {
      const base = `http://127.0.0.1:${await receiverless.port()}`;
      const body = (await fetch(`${base}/fail?msg=x`).then((r) => r.json())) as Record<string, unknown>;
      expect(Object.getPrototypeOf(body)).to.equal(Object.prototype);
      expect(body)
        .to.have.property('trace_id')
        .that.matches(/^[0-9a-f]{32}$/);
      const lines = receiverless.stderr.split('\n').filter((line) => line.includes('TRACING_ERROR_BODY_FIELD'));
      expect(lines, receiverless.stderr).to.have.length(1);
      expect(lines[0]).to.match(/^otel-agent: TRACING_ERROR_BODY_FIELD="__proto__" .*; using trace_id$/);
    } finally {
      await receiverless.stop('SIGKILL');
    }
  });
});
