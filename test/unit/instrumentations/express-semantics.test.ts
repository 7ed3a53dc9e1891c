/**
 * Our replacement of instrumentation-express's asErrorAndMessage: upstream's exact result for every
 * value upstream can read (a differential test against upstream's own function), and no throw for the
 * ones it cannot.
 */
import { expect } from 'chai';
import { safeAsErrorAndMessage } from '../../../src/instrumentations/express-semantics';

type AsErrorAndMessage = (error: unknown) => [unknown, string];
const upstream = (require('@opentelemetry/instrumentation-express/build/src/utils') as { asErrorAndMessage: AsErrorAndMessage }).asErrorAndMessage;

describe('express semantics: safeAsErrorAndMessage', () => {
  const ordinary: unknown[] = [
    new Error('boom'),
    new TypeError('bad type'),
    Object.assign(new Error('with code'), { code: 'E_X', status: 502 }),
    new Error(''),
    'a string',
    '',
    42,
    0,
    null,
    undefined,
    false,
    { message: 'not an Error' },
    ['array'],
    Symbol('s'),
  ];
  for (const value of ordinary) {
    it(`matches upstream for ${typeof value === 'symbol' ? 'a symbol' : JSON.stringify(String(value)) || typeof value}`, () => {
      if (upstream === (safeAsErrorAndMessage as unknown)) throw new Error('upstream already replaced in this process');
      expect(safeAsErrorAndMessage(value)).to.deep.equal(upstream(value));
    });
  }

  it('never throws for values upstream cannot read, and returns readable copies', () => {
    const getter = new Error('hidden');
    Object.defineProperty(getter, 'message', {
      get() {
        throw new Error('refused');
      },
    });
    const proxy = new Proxy(new Error('p'), {
      get() {
        throw new Error('trap');
      },
    });
    const unprintable = Object.create(null);
    for (const value of [getter, proxy, unprintable]) {
      expect(() => upstream(value)).to.throw();
      const [error, message] = safeAsErrorAndMessage(value);
      expect(message).to.be.a('string');
      if (typeof error === 'object') expect(() => `${error.name} ${error.message} ${error.stack}`).to.not.throw();
    }
  });
});
