/**
 * Log correlation by default: pino, winston and bunyan records written inside a request handler carry
 * the request's trace_id, span_id and trace_flags (upstream's instrumentation-pino/-winston/-bunyan,
 * loaded lazily at the logger's first require or import). The ids are compared with the SERVER span
 * the receiver got, in real processes with the real loggers (test/fixtures/catalog).
 */
import { expect } from 'chai';
import { getJson, startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';

const FAST_EXPORT = { TRACING_SCHEDULE_DELAY_MS: '50' };

/** The JSON line the handler logged for `route` (winston nests the object under `message`). */
function loggedRecord(stdout: string, route: string): Record<string, unknown> {
  const record = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((parsed) => parsed.route === route || (parsed.message as { route?: string } | undefined)?.route === route);
  expect(record, `a record for ${route} in:\n${stdout}`).to.exist;
  return record!;
}

describe('log correlation (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  const apps: RunningApp[] = [];
  beforeEach(async () => {
    receiver = await startOtlpGrpcReceiver();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop('SIGKILL')));
    await receiver.close();
  });

  const cases = [
    { logger: 'pino', script: 'catalog/logs-app.js' },
    { logger: 'winston', script: 'catalog/logs-app.js' },
    { logger: 'bunyan', script: 'catalog/logs-app.js' },
    { logger: 'pino (ESM import)', script: 'catalog/logs-app.mjs' },
  ];
  for (const { logger, script } of cases) {
    it(`${logger}: the record logged in the handler carries the request's trace_id, span_id and trace_flags, with no configuration`, async () => {
      const app = startApp(fixture(script), { env: { ...FAST_EXPORT, LOGGER: logger.split(' ')[0], TRACING_ENDPOINT: receiver.url } });
      apps.push(app);
      const route = `/${logger.split(' ')[0]}-${Date.now()}`;
      expect((await getJson(`http://127.0.0.1:${await app.port()}${route}`)).status).to.equal(200);
      const spans = await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER' && span.attributes['url.path'] === route));
      const server = spans.find((span) => span.kind === 'SERVER' && span.attributes['url.path'] === route)!;
      await app.waitForOutput(route);
      const record = loggedRecord(app.stdout, route);
      expect(record).to.include({ trace_id: server.traceId, span_id: server.spanId, trace_flags: '01' });
      expect(app.stderr).to.equal('');
    });
  }

  it('-pino turns it off: the same record carries no ids (so the tests above can fail)', async () => {
    const app = startApp(fixture('catalog/logs-app.js'), {
      env: { ...FAST_EXPORT, LOGGER: 'pino', TRACING_ENDPOINT: receiver.url, TRACING_INSTRUMENTATIONS: '-pino' },
    });
    apps.push(app);
    await getJson(`http://127.0.0.1:${await app.port()}/off`);
    await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER'));
    await app.waitForOutput('/off');
    const record = loggedRecord(app.stdout, '/off');
    expect(record).not.to.have.any.keys('trace_id', 'span_id', 'trace_flags');
  });
});
