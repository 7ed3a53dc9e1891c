/**
 * emit-context.ts: listeners of a marked emitter run in its context (as context.bind made them),
 * the rest of EventEmitter's behaviour is Node's own, and unpatching restores the prototype.
 */
import { expect } from 'chai';
import { EventEmitter } from 'events';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { context, createContextKey, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { emitContextOf, emitInContext, patchEmitContext, unpatchEmitContext } from '../../../src/instrumentations/http-server/emit-context';

const KEY = createContextKey('emit-context test');
const marked = (name: string): Context => ROOT_CONTEXT.setValue(KEY, name);
const activeName = (): unknown => context.active().getValue(KEY);

describe('http server instrumentation: emit-context', () => {
  const contextManager = new AsyncLocalStorageContextManager();
  before(() => context.setGlobalContextManager(contextManager.enable()));
  after(() => context.disable());

  class Base extends EventEmitter {}
  class Marked extends Base {}
  beforeEach(() => patchEmitContext(Marked.prototype));
  afterEach(() => unpatchEmitContext(Marked.prototype));

  it('runs every listener of a marked emitter in its context, whatever context emits', () => {
    const emitter = new Marked();
    const seen: unknown[] = [];
    emitter.on('x', () => seen.push(activeName()));
    emitInContext(emitter, marked('request'));
    emitter.prependListener('x', () => seen.push(activeName()));
    context.with(marked('other'), () => emitter.emit('x'));
    emitter.emit('x');
    expect(seen).to.deep.equal(['request', 'request', 'request', 'request']);
    expect(emitContextOf(emitter)?.getValue(KEY)).to.equal('request');
  });

  it('leaves unmarked emitters in the emitting context', () => {
    const emitter = new Marked();
    const seen: unknown[] = [];
    emitter.on('x', () => seen.push(activeName()));
    context.with(marked('caller'), () => emitter.emit('x'));
    expect(seen).to.deep.equal(['caller']);
  });

  it("keeps Node's once, removeListener, listeners() and the return value and arguments of emit", () => {
    const emitter = new Marked();
    emitInContext(emitter, marked('request'));
    const calls: unknown[][] = [];
    const listener = (...args: unknown[]) => calls.push(args);
    emitter.once('o', listener);
    expect(emitter.listeners('o')).to.deep.equal([listener]);
    expect(emitter.emit('o', 1, 'two')).to.equal(true);
    expect(emitter.emit('o', 3)).to.equal(false);
    expect(calls).to.deep.equal([[1, 'two']]);
    emitter.on('r', listener);
    emitter.removeListener('r', listener);
    expect(emitter.listenerCount('r')).to.equal(0);
    // No method of the instance replaced (context.bind added seven own functions).
    expect(Object.getOwnPropertyNames(emitter)).to.deep.equal(Object.getOwnPropertyNames(new EventEmitter()));
  });

  it("throws an unheard 'error' as Node does, and finds listeners added later", () => {
    const emitter = new Marked();
    emitInContext(emitter, marked('request'));
    const thrown = new Error('nobody listens');
    expect(() => emitter.emit('error', thrown)).to.throw(thrown);
    expect(emitter.emit('later')).to.equal(false);
    let seen: unknown;
    emitter.on('later', () => (seen = activeName()));
    context.with(marked('caller'), () => emitter.emit('later'));
    expect(seen).to.equal('request');
  });

  it('lets a listener throw through unchanged and restores the caller context', () => {
    const emitter = new Marked();
    emitInContext(emitter, marked('request'));
    const thrown = new Error('from the listener');
    emitter.on('x', () => {
      throw thrown;
    });
    context.with(marked('caller'), () => {
      expect(() => emitter.emit('x')).to.throw(thrown);
      expect(activeName()).to.equal('caller');
    });
  });

  it('calls a wrapper of the inherited emit added after patching, and unpatching restores the prototype', () => {
    const inheritedBefore = Object.getOwnPropertyDescriptor(EventEmitter.prototype, 'emit')!;
    const seen: string[] = [];
    const original = Base.prototype.emit;
    Base.prototype.emit = function wrappedLater(this: Base, ...args: Parameters<Base['emit']>) {
      seen.push(String(args[0]));
      return original.apply(this, args);
    };
    try {
      new Marked().emit('later');
      expect(seen).to.deep.equal(['later']);
    } finally {
      delete (Base.prototype as { emit?: unknown }).emit;
    }
    expect(Object.getOwnPropertyDescriptor(Marked.prototype, 'emit')?.enumerable).to.equal(inheritedBefore.enumerable);
    unpatchEmitContext(Marked.prototype);
    expect(Object.prototype.hasOwnProperty.call(Marked.prototype, 'emit')).to.equal(false);
    expect(Marked.prototype.emit).to.equal(EventEmitter.prototype.emit);
  });

  it('wraps and restores an own emit of the prototype, and patches once', () => {
    class OwnEmit extends EventEmitter {}
    const own = function ownEmit(this: EventEmitter, ...args: Parameters<EventEmitter['emit']>) {
      return EventEmitter.prototype.emit.apply(this, args);
    };
    Object.defineProperty(OwnEmit.prototype, 'emit', { value: own, writable: true, configurable: true, enumerable: false });
    patchEmitContext(OwnEmit.prototype);
    const patched = OwnEmit.prototype.emit;
    patchEmitContext(OwnEmit.prototype);
    expect(OwnEmit.prototype.emit).to.equal(patched);
    const emitter = new OwnEmit();
    emitInContext(emitter, marked('request'));
    let seen: unknown;
    emitter.on('x', () => (seen = activeName()));
    emitter.emit('x');
    expect(seen).to.equal('request');
    unpatchEmitContext(OwnEmit.prototype);
    expect(OwnEmit.prototype.emit).to.equal(own);
  });

  it("puts a real request body's 'data' and 'end' listeners in the request's context", async () => {
    patchEmitContext(http.IncomingMessage.prototype);
    const server = http.createServer((req, res) => {
      emitInContext(req, marked('request'));
      const seen: unknown[] = [];
      req.on('data', () => seen.push(activeName()));
      req.on('end', () => {
        seen.push(activeName());
        res.end(JSON.stringify(seen));
      });
    });
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.request({ port, host: '127.0.0.1', method: 'POST' }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.write('first');
        setTimeout(() => req.end('second'), 20);
      });
      const seen = JSON.parse(body) as unknown[];
      expect(seen.length).to.be.greaterThan(1);
      expect(new Set(seen)).to.deep.equal(new Set(['request']));
    } finally {
      unpatchEmitContext(http.IncomingMessage.prototype);
      server.close();
    }
  });
});
