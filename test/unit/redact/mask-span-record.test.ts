import { expect } from 'chai';
import type { Attributes } from '@opentelemetry/api';
import { type MaskingPolicy, compileMaskingPolicy, maskSpanRecord } from '../../../src/redact';
import type { SpanRecord } from '../../../src/span-record';
import { deepFreeze } from './deep-freeze';

function makeSpan(): SpanRecord {
  return {
    context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 },
    parentSpanId: 'b7ad6b7169203331',
    name: 'POST /users/alice@example.com',
    kind: 1,
    startTime: [1732240688, 123000000],
    endTime: [1732240688, 223000000],
    duration: [0, 100000000],
    attributes: { 'http.request.header.authorization': ['Bearer abc.def.ghi'], 'http.route': '/users/:email', 'http.status_code': 500 },
    events: [
      {
        name: 'login failed for bob@example.com',
        time: [1732240688, 150000000],
        attributes: {
          'exception.message': 'password=hunter2 rejected',
          'exception.stacktrace': 'Error: password=hunter2 rejected\n    at login (/srv/app/auth.js:42:13)',
        },
      },
    ],
    links: [
      {
        context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 },
        attributes: { 'link.note': 'card 4111 1111 1111 1111', 'link.kind': 'follows' },
      },
    ],
    status: { code: 2, message: 'charge failed: card=5500-0000-0000-0004' },
    scope: { name: '@opentelemetry/instrumentation-http', version: '0.222.0' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

describe('redact: maskSpanRecord', () => {
  const { policy } = compileMaskingPolicy();

  it('masks name, attributes, events, status message and link attributes, without mutating the input', () => {
    const span = deepFreeze(makeSpan());
    const masked = maskSpanRecord(policy, span);
    expect(masked.name).to.equal('POST /users/a***@example.com');
    expect(masked.attributes).to.deep.equal({ 'http.request.header.authorization': ['Bearer ***'], 'http.route': '/users/:email', 'http.status_code': 500 });
    expect(masked.events[0].name).to.equal('login failed for b***@example.com');
    expect(masked.events[0].attributes).to.deep.equal({
      'exception.message': 'password=*** rejected',
      'exception.stacktrace': 'Error: password=*** rejected\n    at login (/srv/app/auth.js:42:13)',
    });
    expect(masked.events[0].time).to.deep.equal([1732240688, 150000000]);
    expect(masked.links[0].attributes).to.deep.equal({ 'link.note': 'card ****-****-****-1111', 'link.kind': 'follows' });
    expect(masked.links[0].context).to.deep.equal(span.links[0].context);
    expect(masked.status).to.deep.equal({ code: 2, message: 'charge failed: card=****-****-****-0004' });
    expect(masked.context).to.deep.equal(span.context);
    expect(masked.scope).to.deep.equal(span.scope);
    expect(masked.droppedAttributesCount).to.equal(0);
    expect(span).to.deep.equal(makeSpan());
  });

  it('returns a copy even when nothing needed masking', () => {
    const span = deepFreeze({ ...makeSpan(), name: 'GET /health', attributes: {}, events: [], links: [], status: { code: 0 } });
    const masked = maskSpanRecord(policy, span);
    expect(masked).not.to.equal(span);
    expect(masked).to.deep.equal(span);
  });

  it('drops an attribute whose masking throws, keeps masking the others, and counts the drop', () => {
    // A policy whose maskString throws for one value: its maskAttributes then throws for the whole set.
    const explodingPolicy: MaskingPolicy = {
      maskString(value: string): string {
        if (value.includes('EXPLODE')) throw new Error('masking failed');
        return policy.maskString(value);
      },
      maskAttributes(attributes: Attributes): Attributes {
        const out: Attributes = {};
        for (const [key, value] of Object.entries(attributes)) out[key] = typeof value === 'string' ? this.maskString(value) : value;
        return out;
      },
    };
    const span = deepFreeze({
      ...makeSpan(),
      attributes: { 'app.bad': 'EXPLODE alice@example.com', 'app.good': 'bob@example.com', 'http.status_code': 500 },
      droppedAttributesCount: 2,
    });
    const masked = maskSpanRecord(explodingPolicy, span);
    expect(masked.attributes).to.deep.equal({ 'app.good': 'b***@example.com', 'http.status_code': 500 });
    expect(masked.droppedAttributesCount).to.equal(3);
    expect(JSON.stringify(masked)).not.to.include('EXPLODE');
  });

  it('never exports a name or message it failed to mask', () => {
    const throwingPolicy: MaskingPolicy = {
      maskString: () => {
        throw new Error('boom');
      },
      maskAttributes: () => {
        throw new Error('boom');
      },
    };
    const span = deepFreeze(makeSpan());
    const masked = maskSpanRecord(throwingPolicy, span);
    expect(masked.name).to.equal('***');
    expect(masked.events[0].name).to.equal('***');
    expect(masked.status).to.deep.equal({ code: 2 });
    expect(masked.attributes).to.deep.equal({});
    expect(masked.droppedAttributesCount).to.equal(3);
    expect(JSON.stringify(masked)).not.to.include('example.com');
  });

  it('never throws, whatever the span looks like', () => {
    const weird: unknown[] = [
      null,
      undefined,
      42,
      'span',
      {},
      { name: 7, attributes: 'x', events: 'y', links: null, status: null },
      { name: 'n', attributes: null, events: [null, 3, { name: 'e', attributes: [1] }], links: [{ attributes: { a: { b: 1 } } }] },
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('trap');
          },
          ownKeys: () => {
            throw new Error('trap');
          },
        },
      ),
    ];
    weird.forEach((span, index) => {
      expect(() => maskSpanRecord(policy, span as SpanRecord), `shape #${index}`).not.to.throw();
    });
    const masked = maskSpanRecord(policy, {
      name: 'n',
      attributes: null,
      events: [null, 3, { name: 'e', attributes: [1] }],
      links: [{ attributes: { a: { b: 1 } } }],
    } as unknown as SpanRecord);
    expect(masked.events).to.have.length(1);
    expect(masked.links[0].attributes).to.deep.equal({});
  });
});
