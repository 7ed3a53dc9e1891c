/**
 * The leaks of issue 11, one block per item, each reproduced on main before its fix: the inputs are
 * the ones the issue lists (what real apps produce), the assertions are on what would be exported.
 */
import { expect } from 'chai';
import { compileMaskingPolicy, maskSpanRecord } from '../../../src/redact';
import type { SpanRecord } from '../../../src/span-record';
import { deepFreeze } from './deep-freeze';

const { policy } = compileMaskingPolicy();
const mask = policy.maskString;

function expectGone(text: string, secrets: string[]): string {
  const masked = mask(text);
  let decoded = masked;
  try {
    decoded = decodeURIComponent(decodeURIComponent(masked.replace(/\+/g, ' ')));
  } catch {
    // not decodable: the raw form is checked
  }
  for (const secret of secrets) {
    expect(masked, `${JSON.stringify(secret)} in ${JSON.stringify(masked)}`).not.to.include(secret);
    expect(decoded, `${JSON.stringify(secret)} in decoded ${JSON.stringify(decoded)}`).not.to.include(secret);
  }
  return masked;
}

describe('redact: issue 11 leaks', () => {
  describe('1. nested form keys (qs, jQuery.param, Rails, PHP)', () => {
    const cases: Array<[string, string[]]> = [
      ['user[password]=hunter2&remember=1', ['hunter2']],
      ['/login?user%5Bpassword%5D=hunter2&remember=1', ['hunter2']],
      ['token[]=t0k3nA1&token[]=t0k3nB2', ['t0k3nA1', 't0k3nB2']],
      ['data[credentials][api_key]=k3yZ9x&n=1', ['k3yZ9x']],
      ['{"user[password]":"hunter2","user[name]":"bob"}', ['hunter2']],
      ['Error: login failed for user[password]=hunter2\n    at login (/app/src/auth.js:10:5)', ['hunter2']],
      ['https://api.example.com/v1/session?user%5Bpassword%5D=hunter2', ['hunter2']],
    ];
    for (const [text, secrets] of cases) it(JSON.stringify(text), () => expectGone(text, secrets));
    it('keeps the key and the other pairs', () => {
      expect(mask('user[password]=hunter2&remember=1')).to.equal('user[password]=***&remember=1');
      expect(mask('items[0][name]=shoe&items[0][qty]=2')).to.equal('items[0][name]=shoe&items[0][qty]=2');
    });
  });

  describe('3. signed URLs (as undici/fetch CLIENT spans carry them)', () => {
    const cases: Array<[string, string[]]> = [
      ['https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sig=Zm9vYmFyYmF6cXV4%2B%3D&se=2030-01-01', ['Zm9vYmFyYmF6cXV4']],
      [
        'https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLE&X-Amz-Signature=9f0e1d2c3b4a59687766554433221100',
        ['AKIAIOSFODNN7EXAMPLE', 'IQoJb3JpZ2luX2VjEXAMPLE', '9f0e1d2c3b4a59687766554433221100'],
      ],
      [
        'https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=svc%40p.iam.gserviceaccount.com%2F20240101&X-Goog-Signature=8a7b6c5d4e3f2a1b0c9d',
        ['8a7b6c5d4e3f2a1b0c9d', 'svc@p.iam'],
      ],
    ];
    for (const [text, secrets] of cases) it(JSON.stringify(text.slice(0, 60)), () => expectGone(text, secrets));
    it('keeps how the URL was signed', () => {
      expect(mask('X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host&SignatureVersion=4')).to.equal(
        'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-SignedHeaders=host&SignatureVersion=4',
      );
      expect(mask('design=modern&signal=SIGTERM')).to.equal('design=modern&signal=SIGTERM');
    });
  });
  describe('2. international phones with a long group, national formats, 00 prefixes', () => {
    const phones = [
      '+49 151 12345678',
      '+49 30 12345678',
      '+91 9876543210',
      '+33 612345678',
      '+1 4155550132',
      '+7 9161234567',
      '+55 11 987654321',
      '020 7946 0958',
      '07700 900123',
      '030 12345678',
      '0151 12345678',
      '0049 151 12345678',
      '0044 20 7946 0958',
      '+4915112345678',
      '06 12 34 56 78',
      '(030) 12345678',
      '030/1234-5678',
    ];
    for (const phone of phones) {
      it(`${phone}: alone, in a sentence, in a query`, () => {
        const digits = phone.replace(/\D/g, '');
        const lastFour = digits.slice(-4);
        expect(mask(phone)).to.equal(`***-***-${lastFour}`);
        const masked = expectGone(`call me on ${phone} after 5`, [phone, digits.slice(0, -4)]);
        expect(masked).to.equal(`call me on ***-***-${lastFour} after 5`);
        expectGone(`/contact?phone=${encodeURIComponent(phone)}&x=1`, [phone, digits.slice(0, -4)]);
      });
    }
  });

  describe('11. a "+" and 8-15 digits that is not a phone', () => {
    for (const text of [
      'heap grew +12345678 bytes',
      'rss +123456789 B',
      'offset +1234567890',
      'took +12.345678 ms',
      '2024-01-01T00:00:00+01:00',
      'balance +100 200 300',
      'score +0123456789',
    ]) {
      it(JSON.stringify(text), () => expect(mask(text)).to.equal(text));
    }
  });
  describe('6. internationalised emails', () => {
    const cases: Array<[string, string]> = [
      ['dave.miller@müller.de', 'd***@müller.de'],
      ['ana@exämple.com', 'a***@exämple.com'],
      ['mail jörg.müller@example.com now', 'mail j***@example.com now'],
      ['user 李小龍@例子.中国 x', 'user 李***@例子.中国 x'],
      ['reply to élodie@café.fr.', 'reply to é***@café.fr.'],
    ];
    for (const [text, expected] of cases) it(JSON.stringify(text), () => expect(mask(text)).to.equal(expected));
    it('also percent-encoded in a query', () => {
      expectGone(`/u?email=${encodeURIComponent('dave.miller@müller.de')}`, ['dave.miller', 'ave.miller']);
      expectGone(`/u?email=${encodeURIComponent('jörg.müller@example.com')}`, ['jörg', 'örg.müller']);
    });
  });
  describe('7. attribute keys and numbers', () => {
    it('an email in an attribute key is masked in the key', () => {
      const masked = policy.maskAttributes({ 'notify.frank@example.com': true, 'app.ok': 1 });
      expect(Object.keys(masked)).to.deep.equal(['n***@example.com', 'app.ok']);
    });
    it('a card number set as a number is exported masked', () => {
      const masked = policy.maskAttributes({
        'payment.pan': 4111111111111111,
        'payment.pans': [5500000000000004, 3],
        'time.ms': 1712345678901,
        'http.status': 200,
      });
      expect(masked['payment.pan']).to.equal('****-****-****-1111');
      expect(masked['payment.pans']).to.deep.equal(['****-****-****-0004', 3]);
      expect(masked['time.ms']).to.equal(1712345678901);
      expect(masked['http.status']).to.equal(200);
    });
    it('unchanged keys and numbers keep the same object', () => {
      // A nanosecond epoch as apps write it: that it rounds to a double does not matter here.
      // eslint-disable-next-line no-loss-of-precision
      const attributes = { 'http.request.method': 'GET', 'server.port': 8080, 'epoch.ns': 1712345678901234567 };
      expect(policy.maskAttributes(attributes)).to.equal(attributes);
    });
  });

  describe('8. strings over 64 KiB are decoded and masked like short ones', () => {
    const padding = ' lorem ipsum'.repeat(7000); // ~84 KB, so the value is cut
    for (const [label, secretText, secrets] of [
      ['percent-encoded phone', `phone=${encodeURIComponent('+49 151 12345678')}`, ['12345678', '151 1234', '151%2012']],
      ['double-encoded email', `next=${encodeURIComponent(encodeURIComponent('carol.jones@example.com'))}`, ['carol.jones', 'arol.jones']],
      ['encoded path segment', `/users/${encodeURIComponent('dave.miller@müller.de')}/x`, ['dave.miller', 've.miller']],
    ] as Array<[string, string, string[]]>) {
      it(label, () => {
        const masked = expectGone(`request ${secretText} failed;${padding}`, secrets);
        expect(masked).to.match(/…\[truncated \d+ chars\]$/);
      });
    }
  });
  describe('4. tracestate', () => {
    function spanWithTraceState(traceState: string): SpanRecord {
      const context = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1, traceState };
      return deepFreeze({
        context,
        name: 'GET /',
        kind: 1,
        startTime: [1, 0],
        endTime: [1, 1],
        duration: [0, 1],
        attributes: {},
        events: [],
        links: [{ context: { ...context, spanId: 'b7ad6b7169203331' }, attributes: {} }],
        status: { code: 0 },
        scope: { name: 's' },
        droppedAttributesCount: 0,
        droppedEventsCount: 0,
        droppedLinksCount: 0,
      });
    }
    it('masks emails, cards and SSNs in members, on the span and on its links, keeping a valid tracestate', () => {
      const raw = 'rojo=00f067aa0ba902b7,acme=alice.smith@example.com,pay=4111111111111111,gov=123-45-6789,x=token:abc123secret';
      const span = spanWithTraceState(raw);
      const masked = maskSpanRecord(policy, span);
      for (const traceState of [masked.context.traceState, masked.links[0].context.traceState]) {
        expect(traceState).to.be.a('string');
        for (const secret of ['alice.smith', '4111111111111111', '123-45-6789', 'abc123secret']) expect(traceState).not.to.include(secret);
        expect(traceState).to.match(/^rojo=00f067aa0ba902b7,acme=a\*\*\*@example\.com,pay=/);
        expect(traceState!.split(',')).to.have.length(5);
      }
      expect(span.context.traceState).to.equal(raw);
    });
    it('a harmless tracestate is the same object', () => {
      const span = spanWithTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,dd=s:1;o:rum');
      expect(maskSpanRecord(policy, span).context).to.equal(span.context);
    });
  });
  describe('9. formats not covered before', () => {
    const cases: Array<[string, string, string[]]> = [
      ['IBAN compact', 'pay to DE89370400440532013000 today', ['370400440532013000', '89370400']],
      ['IBAN grouped', 'IBAN GB82 WEST 1234 5698 7654 32.', ['WEST 1234', '5698 7654', '1234 5698']],
      ['SSN without separators after the keyword', 'SSN 123456789 on file', ['123456789']],
      ['SSN with spaces after the keyword', 'ssn: 123 45 6789', ['123 45 6789', '45 6789']],
      ['SSN after "social security number"', 'social security number 123 45 6789', ['45 6789']],
      ['card with dots', 'card 4111.1111.1111.1111 exp 12/29', ['4111.1111.1111', '1111.1111.1111']],
      ['card in full-width digits', 'カード ４１１１ １１１１ １１１１ １１１１', ['４１１１ １１１１ １１１１', '4111111111111111']],
      ['Google API key', 'key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY&x=1 and AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY', ['9tSrke72PouQMnMX']],
      ['OpenAI key', 'OPENAI sk-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zT3BlbkFJ0123456789ab', ['Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z']],
      ['OpenAI project key', 'using sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_7Qp', ['Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z']],
      ['npm token', '//registry.npmjs.org/:_authToken npm_abcdefghijklmnopqrstuvwxyz0123456789', ['abcdefghijklmnopqrstuvwxyz0123456789']],
      ['PyPI token', 'twine pypi-AgEIcHlwaS5vcmcCJDU3OTM5NmE3LTFiZjEtNDY4Yy1hODdkLTUyMmQ2ZDEwNTUyNwACKlsz', ['CJDU3OTM5NmE3LTFiZjEtNDY4Yy1h']],
      ['GitLab token', 'PRIVATE-TOKEN glpat-xY9zA8bC7dE6fG5hI4jK', ['xY9zA8bC7dE6fG5hI4jK']],
      ['Twilio API key', 'twilio SK2a1b3c4d5e6f708192a3b4c5d6e7f809', ['2a1b3c4d5e6f708192a3b4c5d6e7f809']],
      ['SendGrid key', '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', ['ngeVfQFYQlKU0ufo8x5d1A', 'TwL2iGABf9DHoTf']],
      ['OAuth callback', 'GET /auth/callback?code=4%2F0AX4XfWhSecretCode&state=af0ifjsldkj&scope=email', ['0AX4XfWhSecretCode', 'af0ifjsldkj']],
      ['OAuth callback query', 'code=SplxlOBeZQQYbYS6WxSbIA&state=xyzABC123', ['SplxlOBeZQQYbYS6WxSbIA', 'xyzABC123']],
      ['Basic credential written out', 'login with Basic alice:hunter2 failed', ['hunter2']],
      ['Basic credential in a logged header', 'sent "Authorization: Basic YWxpY2U6aHVudGVyMg==" upstream', ['YWxpY2U6aHVudGVyMg']],
    ];
    for (const [label, text, secrets] of cases) it(label, () => expectGone(text, secrets));
    it('keeps look-alikes', () => {
      for (const text of [
        '?country_code=DE&code=DE',
        'error.code=ECONNREFUSED',
        'SKU AB12 3456 7890 1234',
        'status_code=500&state=CA',
        'release notes sk-release-notes-for-the-team',
        'Basic authentication failed',
        'DE89 is a route',
        'ssn lookup took 123 ms',
      ]) {
        expect(mask(text), text).to.equal(text);
      }
    });
  });
  describe('10. client IP addresses (TRACING_PII_CLIENT_IP)', () => {
    const SERVER = 1;
    const CLIENT = 2;
    const attributes = {
      'client.address': '203.0.113.7',
      'network.peer.address': '2001:db8:85a3:8d3:1319:8a2e:370:7348',
      'http.request.header.x-forwarded-for': ['203.0.113.7, 198.51.100.23'],
      'http.request.header.forwarded': ['for="[2001:db8:cafe::17]:4711";proto=https'],
      'server.address': '198.51.100.1',
    };
    it('mask (the default): every client address is gone, loopback stays', () => {
      const masked = policy.maskAttributes(attributes, SERVER);
      expect(masked['client.address']).to.equal('***');
      expect(masked['network.peer.address']).to.equal('***');
      expect(masked['http.request.header.x-forwarded-for']).to.deep.equal(['***, ***']);
      expect(masked['http.request.header.forwarded']).to.deep.equal(['for="[***]:4711";proto=https']);
      expect(masked['server.address']).to.equal('198.51.100.1');
      expect(policy.maskAttributes({ 'client.address': '127.0.0.1', 'network.peer.address': '::1' }, SERVER)).to.deep.equal({
        'client.address': '127.0.0.1',
        'network.peer.address': '::1',
      });
    });
    it('network.peer.address of a CLIENT span is the server called, and stays', () => {
      expect(policy.maskAttributes({ 'network.peer.address': '198.51.100.9' }, CLIENT)['network.peer.address']).to.equal('198.51.100.9');
    });
    it('truncate: IPv4 /24, IPv6 /48', () => {
      const truncating = compileMaskingPolicy({ clientIp: 'truncate' }).policy;
      const masked = truncating.maskAttributes(attributes, SERVER);
      expect(masked['client.address']).to.equal('203.0.113.0');
      expect(masked['network.peer.address']).to.equal('2001:db8:85a3::');
      expect(masked['http.request.header.x-forwarded-for']).to.deep.equal(['203.0.113.0, 198.51.100.0']);
      expect(masked['http.request.header.forwarded']).to.deep.equal(['for="[2001:db8:cafe::]:4711";proto=https']);
      expect(truncating.maskAttributes({ 'client.address': '::ffff:203.0.113.7' }, SERVER)['client.address']).to.equal('::ffff:203.0.113.0');
    });
    it('keep: as received', () => {
      const keeping = compileMaskingPolicy({ clientIp: 'keep' }).policy;
      expect(keeping.maskAttributes(attributes, SERVER)).to.equal(attributes);
    });
  });
});
