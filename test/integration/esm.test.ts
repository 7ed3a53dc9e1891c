/** ESM apps are instrumented both with `-r register` and `--import register`. */
import { expect } from 'chai';
import { getJson, startApp } from '../helpers/app-process';
import type { RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';

describe('ESM apps (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  let upstream: RunningApp;
  let upstreamUrl: string;
  before(async () => {
    receiver = await startOtlpGrpcReceiver();
    upstream = startApp(fixture('http-app.js'), { agent: 'none' });
    upstreamUrl = `http://127.0.0.1:${await upstream.port()}/hello`;
  });
  after(async () => {
    await upstream.stop('SIGKILL');
    await receiver.close();
  });

  for (const agent of ['require', 'import'] as const) {
    it(`${agent === 'require' ? '-r' : '--import'}: express route spans and fetch client spans from an .mjs app`, async () => {
      receiver.reset();
      const app = startApp(fixture('esm-app.mjs'), {
        agent,
        env: { TRACING_ENDPOINT: receiver.url, TRACING_SCHEDULE_DELAY_MS: '50', TRACING_SERVICE_NAME: `esm-${agent}` },
      });
      try {
        const port = await app.port();
        expect((await getJson(`http://127.0.0.1:${port}/users/5`)).body).to.deep.equal({ id: '5', esm: true });
        await getJson(`http://127.0.0.1:${port}/fetch?target=${encodeURIComponent(upstreamUrl)}`);
        const spans = await receiver.waitForSpans(
          (all) =>
            all.some((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/users/:id') &&
            all.some((s) => s.kind === 'CLIENT' && s.scope.name.includes('undici')),
        );
        const server = spans.find((s) => s.kind === 'SERVER' && s.attributes['http.route'] === '/users/:id')!;
        expect(server.name).to.equal('GET /users/:id');
        expect(spans.some((s) => s.scope.name.includes('express') && s.parentSpanId === server.spanId)).to.equal(true);
        expect(app.stderr).not.to.match(/already|duplicate|error/i);
      } finally {
        await app.stop('SIGKILL');
      }
    });
  }
});
