/**
 * pg and ioredis against real servers (Debian's postgresql and redis-server, started here on
 * loopback; never a mock), with NO agent configuration: the request's SERVER span gets pg and ioredis
 * CLIENT spans as children, and a literal email in a query's text is masked before export.
 * A missing server binary fails the suite under REQUIRE_SERVICES=1 (CI) and skips it otherwise.
 */
import { expect } from 'chai';
import { getJson, startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { ReceivedSpan, Receiver } from '../helpers/receivers';
import { requireOrSkip, startPostgres, startRedis } from '../helpers/services';
import type { RunningService } from '../helpers/services';

const EMAIL = 'ada.lovelace@example.com';

/** The statement attribute under either semantic-conventions generation (db.query.text is the stable one). */
const statementOf = (span: ReceivedSpan) => (span.attributes['db.query.text'] ?? span.attributes['db.statement']) as string | undefined;

describe('pg and ioredis against real servers (integration)', function () {
  this.timeout(90_000);
  let postgres: RunningService | undefined;
  let redis: RunningService | undefined;
  let receiver: Receiver;
  const apps: RunningApp[] = [];

  before(async function () {
    try {
      [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    } catch (err) {
      await Promise.all([postgres?.stop(), redis?.stop()]);
      requireOrSkip(this, err);
    }
  });
  after(async () => {
    await Promise.all([postgres?.stop(), redis?.stop()]);
  });
  beforeEach(async () => {
    receiver = await startOtlpGrpcReceiver();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop('SIGKILL')));
    await receiver.close();
  });

  async function requestUsers42(env: Record<string, string> = {}) {
    const app = startApp(fixture('catalog/db-app.js'), {
      env: { PG_URL: postgres!.url, REDIS_URL: redis!.url, TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '50', ...env },
    });
    apps.push(app);
    const response = await getJson(`http://127.0.0.1:${await app.port()}/users/42`);
    expect(response.status, JSON.stringify(response.body)).to.equal(200);
    expect(response.body).to.deep.equal({ id: 42, next: 42, cached: EMAIL }); // the servers really answered
    const spans = await receiver.waitForSpans((all) => all.some((span) => span.kind === 'SERVER' && span.attributes['url.path'] === '/users/42'));
    await app.stop('SIGTERM'); // flushes the rest (the last GET's span may end after the SERVER span is exported)
    const server = spans.find((span) => span.kind === 'SERVER' && span.attributes['url.path'] === '/users/42')!;
    return { app, server, spans: receiver.spans };
  }

  it("with no configuration, pg and ioredis CLIENT spans are children of the request's SERVER span, statements masked", async () => {
    const { server, spans, app } = await requestUsers42();
    const children = spans.filter((span) => span.parentSpanId === server.spanId && span.traceId === server.traceId);

    const pgSpans = children.filter((span) => span.scope.name === '@opentelemetry/instrumentation-pg');
    expect(
      pgSpans.map((span) => span.kind),
      JSON.stringify(children.map((s) => s.name)),
    ).to.deep.equal(['CLIENT', 'CLIENT']);
    for (const span of pgSpans) expect(span.attributes['db.system.name'] ?? span.attributes['db.system']).to.equal('postgresql');
    const statements = pgSpans.map(statementOf);
    // The literal is masked (README's email rule), the query's shape stays readable; a bound parameter never was in the text.
    expect(statements).to.have.members(["SELECT 'a***@example.com' AS email, 42 AS id", 'SELECT $1::int + 1 AS next']);

    const redisSpans = children.filter((span) => span.scope.name === '@opentelemetry/instrumentation-ioredis');
    expect(redisSpans.map((span) => `${span.kind} ${span.name}`)).to.deep.equal(['CLIENT set', 'CLIENT get']);
    for (const span of redisSpans) {
      expect(span.attributes['db.system.name'] ?? span.attributes['db.system']).to.equal('redis');
      expect(statementOf(span)).to.match(/^(set|get) user:42:email/);
    }

    // Not a single byte of the email left the process, in any span or attribute.
    const everything = Buffer.concat(receiver.rawPayloads).toString('latin1');
    expect(everything).to.include('a***@example.com');
    expect(everything).not.to.include(EMAIL);
    expect(everything).not.to.include('ada.lovelace');
    expect(app.stderr).to.equal('');
  });

  it('TRACING_INSTRUMENTATIONS=-pg,-ioredis: the same request has no database spans (so the test above can fail)', async () => {
    const { server, spans } = await requestUsers42({ TRACING_INSTRUMENTATIONS: '-pg,-ioredis' });
    const scopes = spans.filter((span) => span.traceId === server.traceId).map((span) => span.scope.name);
    expect(scopes).not.to.include('@opentelemetry/instrumentation-ioredis');
    expect(scopes).not.to.include('@opentelemetry/instrumentation-pg');
  });
});
