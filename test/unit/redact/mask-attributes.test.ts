import { expect } from 'chai';
import type { Attributes } from '@opentelemetry/api';
import { compileMaskingPolicy } from '../../../src/redact';
import { deepFreeze } from './deep-freeze';

describe('redact: maskAttributes', () => {
  const { policy } = compileMaskingPolicy({ extraKeys: ['x-tenant-pin'] });

  it('masks whole values of sensitive keys, keeping the Authorization scheme', () => {
    const attributes = deepFreeze<Attributes>({
      'http.request.header.authorization': ['Bearer eyJabc.def.ghi', 'Basic dXNlcjpwdw=='],
      'http.request.header.cookie': ['sid=1; theme=dark'],
      'http.request.header.x-api-key': ['k-123'],
      'db.password': 'hunter2',
      'payment.cvv': 123,
      'http.request.header.x-tenant-pin': ['0000'],
      'auth.enabled': true,
    });
    expect(policy.maskAttributes(attributes)).to.deep.equal({
      'http.request.header.authorization': ['Bearer ***', 'Basic ***'],
      'http.request.header.cookie': ['***'],
      'http.request.header.x-api-key': ['***'],
      'db.password': '***',
      'payment.cvv': '***',
      'http.request.header.x-tenant-pin': ['***'],
      'auth.enabled': true,
    });
  });

  it('masks text values and string arrays element-wise with the detectors', () => {
    const attributes = deepFreeze<Attributes>({
      'url.full': 'https://shop.example.com/reset?email=carol%40example.com&token=abc',
      'db.statement': "SELECT * FROM users WHERE email = 'alice@example.com'",
      'app.contacts': ['bob@example.com', 'nobody', null, undefined] as Array<string | null | undefined>,
      'http.status_code': 200,
      'user.id': 42,
    });
    expect(policy.maskAttributes(attributes)).to.deep.equal({
      'url.full': 'https://shop.example.com/reset?email=c***%40example.com&token=***',
      'db.statement': "SELECT * FROM users WHERE email = 'a***@example.com'",
      'app.contacts': ['b***@example.com', 'nobody', null, undefined],
      'http.status_code': 200,
      'user.id': 42,
    });
  });

  it('returns the same object when nothing changed, and a new one (input untouched) when something did', () => {
    const clean = deepFreeze<Attributes>({ 'http.method': 'GET', 'http.route': '/api/orders/:id', 'http.status_code': 200, tags: ['a', 'b'] });
    expect(policy.maskAttributes(clean)).to.equal(clean);
    const dirty = deepFreeze<Attributes>({ 'http.method': 'GET', note: 'alice@example.com' });
    const masked = policy.maskAttributes(dirty);
    expect(masked).not.to.equal(dirty);
    expect(dirty).to.deep.equal({ 'http.method': 'GET', note: 'alice@example.com' });
  });

  it('keeps an unchanged array attribute as the same array', () => {
    const tags = Object.freeze(['a', 'b']) as unknown as string[];
    const masked = policy.maskAttributes({ tags, note: 'alice@example.com' });
    expect(masked.tags).to.equal(tags);
  });

  it('drops values it cannot mask (objects, throwing getters) instead of exporting them raw', () => {
    const attributes: Record<string, unknown> = { ok: 'fine', nested: { email: 'alice@example.com' }, fn: () => 1 };
    Object.defineProperty(attributes, 'exploding', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    const masked = policy.maskAttributes(attributes as Attributes);
    expect(masked).to.deep.equal({ ok: 'fine' });
  });

  it('returns non-objects as they are', () => {
    expect(policy.maskAttributes(undefined as unknown as Attributes)).to.equal(undefined);
  });

  it('can be called detached from the policy', () => {
    const { maskAttributes, maskString } = policy;
    expect(maskAttributes({ password: 'x' })).to.deep.equal({ password: '***' });
    expect(['alice@example.com'].map(maskString)).to.deep.equal(['a***@example.com']);
  });
});
