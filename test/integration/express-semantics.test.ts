/**
 * With the express instrumentation loaded, express behaves as without the agent: `next === req.next`
 * in every layer (res.format and friends call `req.next`), and an error whose properties cannot be
 * read reaches express's final handler as the route threw it (on Node 20 it crashes the process
 * there, as it does without the agent).
 */
import { expect } from 'chai';
import { startApp } from '../helpers/app-process';
import type { AppExit, RunningApp } from '../helpers/app-process';
import { fixture } from '../helpers/paths';
import { startOtlpGrpcReceiver } from '../helpers/receivers';
import type { Receiver } from '../helpers/receivers';

const APPS = [
  { major: 4, script: fixture('express4/semantics-app.js') },
  { major: 5, script: fixture('express-semantics-app.js') },
];

interface Answer {
  status: number;
  contentType: string | null;
  body: string;
}

async function ask(port: number, path: string, accept = '*/*'): Promise<Answer | 'no answer'> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { accept } });
    return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
  } catch {
    return 'no answer';
  }
}

/** The answer, with the trace_id the agent adds to JSON error bodies taken out again. */
function withoutTraceId(answer: Answer | 'no answer'): Answer | 'no answer' {
  if (answer === 'no answer') return answer;
  return { ...answer, body: answer.body.replace(/,"trace_id":"[0-9a-f]{32}"/, '') };
}

describe('express semantics under the agent (integration)', function () {
  this.timeout(60_000);
  let receiver: Receiver;
  const apps: RunningApp[] = [];

  before(async () => {
    receiver = await startOtlpGrpcReceiver();
  });
  after(async () => {
    for (const app of apps) app.child.kill('SIGKILL');
    await receiver.close();
  });

  function start(script: string, agent: boolean): RunningApp {
    // production: express's final handler answers without a stack trace (the agent's frames would be in it).
    const app = startApp(script, { agent: agent ? 'require' : 'none', env: { NODE_ENV: 'production', TRACING_ENDPOINT: receiver.url } });
    apps.push(app);
    return app;
  }

  for (const { major, script } of APPS) {
    describe(`express ${major}`, () => {
      let bare: RunningApp;
      let traced: RunningApp;
      before(async () => {
        bare = start(script, false);
        traced = start(script, true);
        await Promise.all([bare.port(), traced.port()]);
      });

      it('next and req.next are the same function wherever they are without the agent (middleware, res.format handlers)', async () => {
        for (const path of ['/next-identity', '/format-default']) {
          const [withoutAgent, withAgent] = [await ask(await bare.port(), path, 'text/csv'), await ask(await traced.port(), path, 'text/csv')];
          expect(withoutAgent, path).to.not.equal('no answer');
          expect(withAgent, path).to.deep.equal(withoutAgent);
        }
        // Without the agent a middleware's next is req.next (a route handler's is the route's own next).
        expect(JSON.parse(((await ask(await bare.port(), '/next-identity')) as Answer).body)).to.deep.equal({ middleware: true, route: false });
      });

      it("res.format's 406 through req.next reaches the app's error handler (trace id added)", async () => {
        const [withoutAgent, withAgent] = [await ask(await bare.port(), '/format-406', 'text/csv'), await ask(await traced.port(), '/format-406', 'text/csv')];
        expect((withoutAgent as Answer).status).to.equal(406);
        expect((withAgent as Answer).body).to.match(/"trace_id":"[0-9a-f]{32}"/);
        expect(withoutTraceId(withAgent)).to.deep.equal(withoutAgent);
      });

      for (const path of ['/hostile', '/hostile-next']) {
        it(`${path}: an error whose message getter throws: same answer, and the same crash, as without the agent`, async () => {
          const run = async (agent: boolean) => {
            const app = start(script, agent);
            const answer = await ask(await app.port(), path);
            // Node 20 crashes in express's final handler (logging the stack runs the getter); Node 22+
            // logs "[object Error]" and lives on, until this kill. Either way: as without the agent.
            const timer = setTimeout(() => app.child.kill('SIGKILL'), 2_000);
            const exit: AppExit = await app.exited();
            clearTimeout(timer);
            return { answer, exit, crashReport: app.stderr.includes('getter message refused') };
          };
          const withoutAgent = await run(false);
          const withAgent = await run(true);
          expect(withAgent).to.deep.equal(withoutAgent);
        });
      }
    });
  }
});
