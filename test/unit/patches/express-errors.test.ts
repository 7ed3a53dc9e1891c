/**
 * The express-errors patch in process, against the real express 4 (test/fixtures/express4) and
 * express 5 (+ router 2) packages: every error path ends as one event on the request's server span,
 * the app's own error handling is untouched, and patch/unpatch mirror each other, also when
 * @opentelemetry/instrumentation-router has wrapped the same Layer method first.
 */
import { expect } from 'chai';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { isWrapped } from '@opentelemetry/instrumentation';
import { RouterInstrumentation } from '@opentelemetry/instrumentation-router';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { AgentConfig } from '../../../src/config/types';
import { createLogger } from '../../../src/logger';
import { expressErrorsPatch } from '../../../src/patches/express-errors';
import { rememberServerSpan } from '../../../src/patches/request-spans';
import { FIXTURES, REPO_ROOT } from '../../helpers/paths';

type Express = any;

const EXPRESS4_DIR = path.join(FIXTURES, 'express4', 'node_modules', 'express');
const EXPRESS5_DIR = path.join(REPO_ROOT, 'node_modules', 'express');
const ROUTER2_DIR = path.join(REPO_ROOT, 'node_modules', 'router');

function forgetExpressModules(): void {
  // The patch hooks `require`: modules another test file already loaded must load again.
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(EXPRESS4_DIR + path.sep) || key.startsWith(EXPRESS5_DIR + path.sep) || key.startsWith(ROUTER2_DIR + path.sep)) {
      delete require.cache[key];
    }
  }
}

const config = { captureStacktrace: true, instrumentations: ['http'] } as unknown as AgentConfig;

/** Errors the routes create, so tests can check identity (the app sees the very same object). */
const thrown: Record<string, unknown> = {};

function buildApp(express: Express, major: 4 | 5) {
  const app = express();
  // express's final handler logs every error to stderr unless env is 'test'.
  app.set('env', 'test');
  app.get('/ok', (req: any, res: any) => res.send('ok'));
  app.get('/sync-throw', () => {
    throw (thrown.sync = new TypeError('sync boom'));
  });
  app.get('/next-error', (req: any, res: any, next: any) => next((thrown.next = Object.assign(new Error('next boom'), { code: 'E_NEXT' }))));
  app.get('/not-found', (req: any, res: any, next: any) => next((thrown.notFound = Object.assign(new Error('no such user'), { status: 404 }))));
  app.get('/string', (req: any, res: any, next: any) => next('plain string failure'));
  app.get('/skip-route', (req: any, res: any, next: any) => next('route'));
  app.get('/skip-route', (req: any, res: any) => res.send('second'));
  if (major === 5) {
    app.get('/async-reject', async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw (thrown.async = new RangeError('async boom'));
    });
  }
  // Errors crossing two nested routers on the way to the final handler.
  const inner = express.Router();
  inner.get('/throw', () => {
    throw (thrown.nested = new Error('nested boom'));
  });
  const outer = express.Router();
  outer.use('/inner', inner);
  app.use('/outer', outer);

  // A sub-router with the app's own error middleware, which decides the response.
  const handled = express.Router();
  handled.get('/throw', () => {
    throw (thrown.handled = new Error('handled boom'));
  });
  handled.get('/rethrow', () => {
    throw (thrown.rethrown = new Error('rethrown boom'));
  });
  handled.get('/replace', () => {
    throw (thrown.replaced = new Error('original boom'));
  });
  handled.use((err: any, req: any, res: any, next: any) => {
    if (req.path === '/rethrow') return next(err);
    if (req.path === '/replace') return next(Object.assign(new Error('replacement boom'), { cause: err }));
    res.status(418).json({ handledBy: 'app', message: err.message, same: err === thrown.handled });
  });
  app.use('/handled', handled);
  return app;
}

describe('express-errors patch (in process)', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('express-errors-test');
  const routerInstrumentation = new RouterInstrumentation();
  const servers: http.Server[] = [];
  const apps: Record<4 | 5, string> = { 4: '', 5: '' };
  let express4: Express;
  let express5: Express;

  before(async () => {
    // instrumentation-router first, as in the agent (upstream instrumentations are registered before patches).
    routerInstrumentation.enable();
    expressErrorsPatch.patch({ config, logger: createLogger('none') });
    forgetExpressModules();
    express4 = require(EXPRESS4_DIR);
    express5 = require(EXPRESS5_DIR);
    for (const [major, express] of [
      [4, express4],
      [5, express5],
    ] as const) {
      const app = buildApp(express, major);
      // Stands in for the http instrumentation: one server span per request, ended when the response closes.
      const server = http.createServer((req, res) => {
        const span = tracer.startSpan(`GET ${req.url}`, { kind: SpanKind.SERVER, attributes: { 'url.path': req.url } });
        rememberServerSpan(req, span);
        res.on('close', () => span.end());
        app(req, res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      apps[major] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
  });

  after(async () => {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    expressErrorsPatch.unpatch();
    routerInstrumentation.disable();
    await provider.shutdown();
  });

  beforeEach(() => exporter.reset());

  async function request(major: 4 | 5, urlPath: string): Promise<{ status: number; body: string; span: ReadableSpan }> {
    const response = await fetch(apps[major] + urlPath);
    const body = await response.text();
    for (let attempt = 0; attempt < 100; attempt++) {
      const span = exporter.getFinishedSpans().find((s) => s.attributes['url.path'] === urlPath);
      if (span) return { status: response.status, body, span };
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no server span for ${urlPath}`);
  }

  function exceptionEvents(span: ReadableSpan) {
    return span.events.filter((event) => event.name === 'exception');
  }

  for (const major of [4, 5] as const) {
    describe(`express ${major}`, () => {
      it('records a synchronous throw in a route once, with type, message and stack', async () => {
        const { status, span } = await request(major, '/sync-throw');
        expect(status).to.equal(500);
        const events = exceptionEvents(span);
        expect(events).to.have.length(1);
        expect(events[0].attributes).to.deep.equal({
          'exception.type': 'TypeError',
          'exception.message': 'sync boom',
          'exception.stacktrace': (thrown.sync as Error).stack,
        });
        expect(span.attributes['error.type']).to.equal('TypeError');
        expect(span.status.code).to.equal(SpanStatusCode.ERROR);
      });

      it('records next(err) with its code', async () => {
        const { span } = await request(major, '/next-error');
        expect(exceptionEvents(span)).to.have.length(1);
        expect(span.attributes['error.type']).to.equal('E_NEXT');
        expect(span.attributes['error.code']).to.equal('E_NEXT');
        expect(span.status.code).to.equal(SpanStatusCode.ERROR);
      });

      it('records an error carrying status 404 without marking the span', async () => {
        const { status, span } = await request(major, '/not-found');
        expect(status).to.equal(404);
        expect(exceptionEvents(span)).to.have.length(1);
        expect(exceptionEvents(span)[0].attributes!['exception.message']).to.equal('no such user');
        expect(span.status.code).to.equal(SpanStatusCode.UNSET);
        expect(span.attributes).not.to.have.property('error.type');
      });

      it('records a string passed to next()', async () => {
        const { status, span } = await request(major, '/string');
        expect(status).to.equal(500);
        expect(exceptionEvents(span).map((e) => e.attributes)).to.deep.equal([{ 'exception.type': 'string', 'exception.message': 'plain string failure' }]);
      });

      it("records nothing for next('route') and for a successful request", async () => {
        expect((await request(major, '/skip-route')).body).to.equal('second');
        expect(exceptionEvents((await request(major, '/skip-route')).span)).to.have.length(0);
        const ok = await request(major, '/ok');
        expect(exceptionEvents(ok.span)).to.have.length(0);
        expect(ok.span.status.code).to.equal(SpanStatusCode.UNSET);
      });

      it('records an error crossing nested routers to the final handler once', async () => {
        const { status, span } = await request(major, '/outer/inner/throw');
        expect(status).to.equal(500);
        expect(exceptionEvents(span)).to.have.length(1);
        expect(exceptionEvents(span)[0].attributes!['exception.message']).to.equal('nested boom');
      });

      it("records an error the app's error middleware handles; the middleware gets the same error and decides the response", async () => {
        const { status, body, span } = await request(major, '/handled/throw');
        expect(status).to.equal(418);
        expect(JSON.parse(body)).to.deep.equal({ handledBy: 'app', message: 'handled boom', same: true });
        expect(exceptionEvents(span)).to.have.length(1);
        expect(span.status.code).to.equal(SpanStatusCode.ERROR);
      });

      it('records an error passed on by the error middleware once', async () => {
        const { status, span } = await request(major, '/handled/rethrow');
        expect(status).to.equal(500);
        expect(exceptionEvents(span)).to.have.length(1);
      });

      it('records a replacement error as a second error', async () => {
        const { span } = await request(major, '/handled/replace');
        expect(exceptionEvents(span).map((e) => e.attributes!['exception.message'])).to.deep.equal(['original boom', 'replacement boom']);
      });

      if (major === 5) {
        it('records a rejected promise from an async handler', async () => {
          const { status, span } = await request(major, '/async-reject');
          expect(status).to.equal(500);
          const events = exceptionEvents(span);
          expect(events).to.have.length(1);
          expect(events[0].attributes!['exception.type']).to.equal('RangeError');
          expect(events[0].attributes!['exception.stacktrace']).to.equal((thrown.async as Error).stack);
        });
      }
    });
  }

  it("stacks on instrumentation-router's Layer wrapper and unpatch restores exactly what was there", () => {
    const RouterLayer = require(path.join(ROUTER2_DIR, 'lib', 'layer.js'));
    const Express4Layer = require(path.join(EXPRESS4_DIR, 'lib', 'router', 'layer.js'));
    const Express4Router = require(path.join(EXPRESS4_DIR, 'lib', 'router', 'index.js'));
    const Router2 = require(ROUTER2_DIR);

    const ours = RouterLayer.prototype.handleError;
    expect(ours.name).to.equal('recordedHandleError');
    // instrumentation-router's wrapper is still there, below ours
    expect(isWrapped(ours.__original)).to.equal(true);
    const theirs = ours.__original;
    expect(Express4Layer.prototype.handle_error.name).to.equal('recordedHandleError');
    expect(Express4Router.handle.name).to.equal('recordedRouterHandle');
    expect(Router2.prototype.handle.name).to.equal('recordedRouterHandle');

    // patch is idempotent: no second layer of wrappers
    expressErrorsPatch.patch({ config, logger: createLogger('none') });
    expect(RouterLayer.prototype.handleError).to.equal(ours);

    expressErrorsPatch.unpatch();
    expect(RouterLayer.prototype.handleError).to.equal(theirs);
    expect(Express4Layer.prototype.handle_error.name).to.equal('handle_error');
    expect(isWrapped(Express4Layer.prototype.handle_error)).to.equal(false);
    expect(Express4Router.handle.name).to.equal('handle');
    expect(Router2.prototype.handle.name).to.equal('handle');

    // a later tool's wrapper on top of ours survives our unpatch
    expressErrorsPatch.patch({ config, logger: createLogger('none') });
    const oursAgain = Router2.prototype.handle;
    expect(oursAgain.name).to.equal('recordedRouterHandle');
    const later = function laterToolHandle(this: unknown, ...args: unknown[]) {
      return oursAgain.apply(this, args);
    };
    Router2.prototype.handle = later;
    expressErrorsPatch.unpatch();
    expect(Router2.prototype.handle).to.equal(later);
    Router2.prototype.handle = oursAgain.__original;
    // leave the patch installed for the after() hook, as the tests above found it
    expressErrorsPatch.patch({ config, logger: createLogger('none') });
  });
});
