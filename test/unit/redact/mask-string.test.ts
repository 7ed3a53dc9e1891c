/**
 * maskString with the built-in detectors: the exact mask formats the product spec demands, and the
 * look-alikes (ids, timestamps, versions, stack positions) that must survive.
 */
import { expect } from 'chai';
import { compileMaskingPolicy } from '../../../src/redact';

const { policy } = compileMaskingPolicy();

/** [input, exact expected output] */
const MASKED: Array<[string, string]> = [
  // emails
  ['alice@example.com', 'a***@example.com'],
  ['mail bob.jones+x@mail.example.co.uk now', 'mail b***@mail.example.co.uk now'],
  ['/users/carol%40example.com/profile', '/users/c***%40example.com/profile'],
  ["SELECT id FROM users WHERE email = 'dave@corp.example'", "SELECT id FROM users WHERE email = 'd***@corp.example'"],
  // phones
  ['call 415-555-1234 today', 'call ***-***-1234 today'],
  ['(415) 555-0132', '***-***-0132'],
  ['+1 (415) 555-0132', '***-***-0132'],
  ['1-800-555-0199', '***-***-0199'],
  ['415.555.0199', '***-***-0199'],
  ['+44 20 7946 0958', '***-***-0958'],
  ['+44 (0)20 7946 0958', '***-***-0958'],
  ['+4915112345678', '***-***-5678'],
  ['tel: +33 1 42 68 53 00.', 'tel: ***-***-5300.'],
  ['phone=%2B81%203-1234-5678&x=1', 'phone=***-***-5678&x=1'],
  // payment cards
  ['4111111111111111', '****-****-****-1111'],
  ['5500-0000-0000-0004', '****-****-****-0004'],
  ['amex 378282246310005', 'amex ****-****-****-0005'],
  ['card 4111 1111 1111 1111 exp 12/26', 'card ****-****-****-1111 exp 12/26'],
  ['4111 1111 1111 1111 12 26', '****-****-****-1111 12 26'],
  // SSN
  ['SSN 123-45-6789', 'SSN ***-**-****'],
  // credentials
  ['Authorization: Bearer abc123.def456', 'Authorization: Bearer ***'],
  ['sent Bearer 9f8e7d6c5b4a3928 upstream', 'sent Bearer *** upstream'],
  ['Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic ***'],
  ['retry with Basic dXNlcjpwYXNzd29yZA== header', 'retry with Basic *** header'],
  ['authorization=Bearer abc.def.ghi rest', 'authorization=Bearer *** rest'],
  ['Proxy-Authorization: Digest username="bob", response="6629fae4"', 'Proxy-Authorization: Digest ***'],
  ['Set-Cookie: sid=abc123; HttpOnly; Secure', 'Set-Cookie: ***'],
  ['X-API-Key: k-12345\nAccept: */*', 'X-API-Key: ***\nAccept: */*'],
  ['jwt eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'jwt ***'],
  // well-known secrets
  ['key AKIAIOSFODNN7EXAMPLE used', 'key AKIA*** used'],
  ['ASIAY34FZKBOKMUTVV7A', 'ASIA***'],
  ['gho_16C7e42F292c6912E7710c838347Ae178B4a', 'gho_***'],
  ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', 'github_pat_***'],
  ['slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', 'slack xoxb-***'],
  ['xoxp-1234-5678-abcdefgh', 'xoxp-***'],
  ['stripe sk_live_51H8abcdefghijklmnopqrstu', 'stripe sk_live_***'],
  ['sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'sk_test_***'],
  ['rk_live_abcdefgh12345678', 'rk_live_***'],
  ['pk_test_TYooMQauvdEDq54NiTphI7jx', 'pk_test_***'],
  [
    'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4\nq1w2e3r4\n-----END RSA PRIVATE KEY-----\ndone',
    'key:\n-----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY-----\ndone',
  ],
  ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA (cut', '-----BEGIN OPENSSH PRIVATE KEY-----***'],
  ['{"key":"-----BEGIN PRIVATE KEY-----\\nMIIEvQ\\n-----END PRIVATE KEY-----\\n"}', '{"key":"-----BEGIN PRIVATE KEY-----***-----END PRIVATE KEY-----\\n"}'],
  // sensitive keys in text
  ['DB_PASSWORD=x', 'DB_PASSWORD=***'],
  ['"apiKey": "x"', '"apiKey": "***"'],
  ['X-Api-Key: x', 'X-Api-Key: ***'],
  ['user.password=hunter2 next', 'user.password=*** next'],
  ['passwd: s3cr3t', 'passwd: ***'],
  ['client_secret=abc&grant_type=client_credentials', 'client_secret=***&grant_type=client_credentials'],
  ['/cb?code=1&access_token=ya29.a0Af&refresh_token=1//0g', '/cb?code=1&access_token=***&refresh_token=***'],
  ['{"cvv": 123, "ok": true, "token": null}', '{"cvv": "***", "ok": true, "token": null}'],
  ['{\\"password\\":\\"s3cret\\",\\"a\\":1}', '{\\"password\\":\\"***\\",\\"a\\":1}'],
  ["UPDATE users SET password = 'p4ss' WHERE id = 7", "UPDATE users SET password = '***' WHERE id = 7"],
  ['ssn=123456789&name=x', 'ssn=***&name=x'],
  ['sessionId=abc123;', 'sessionId=***;'],
  ['employee.authtoken=QWERTY', 'employee.authtoken=***'],
  ['url=https://x.example/?token=abc&y=1', 'url=https://x.example/?token=***&y=1'],
  // URL userinfo
  ['postgres://admin:S3cretPass@db.internal:5432/app', 'postgres://admin:***@db.internal:5432/app'],
  ['redis://:p@ss@cache:6379/0', 'redis://:***@cache:6379/0'],
  ['amqps://user:pw@mq.example.com', 'amqps://user:***@mq.example.com'],
];

/** Look-alikes that must survive unchanged. */
const UNCHANGED: string[] = [
  'Luhn-invalid 4111111111111112',
  'Luhn-invalid, grouped 4111 1111 1111 1234',
  'ts=1732240688123 and 1732240688123456',
  'trace 0af7651916cd43dd8448eb211c80319c span b7ad6b7169203331',
  'uuid 123e4567-e89b-12d3-a456-426614174000',
  'at 2026-11-22T01:18:08.123+01:00 and 2026-11-22 01:18',
  'semver 10.2.3-beta.1+build.5',
  'HTTP 503 Service Unavailable after 30000 ms',
  'connect ECONNREFUSED 10.0.0.12:5432 and [::1]:4317',
  'price 1299.99 USD, qty 3',
  'ORD-2024-000123 INV-2023-9876543',
  'user_id=42 order_id=1001 role=admin',
  '    at Object.<anonymous> (/srv/app/token.js:42:13)',
  '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
  'tokens_used=1234 token_count: 55 password_length: 12',
  'bypass=true author: bob compass=north',
  'Basic authentication failed; Bearer token expired',
  'express@5.1.0 from @opentelemetry/api@1.9.0',
  'tz +05:30 and +0000',
  'invalid SSN 000-12-3456 and 666-12-3456',
  'if (token == null) return',
  'GET /api/orders/:id 200 12ms',
  "Cannot read properties of undefined (reading 'password')",
];

describe('redact: maskString', () => {
  for (const [input, expected] of MASKED) {
    it(`masks ${JSON.stringify(input)}`, () => {
      expect(policy.maskString(input)).to.equal(expected);
    });
  }

  for (const input of UNCHANGED) {
    it(`leaves ${JSON.stringify(input)} unchanged`, () => {
      expect(policy.maskString(input)).to.equal(input);
    });
  }

  it('returns the very same string when nothing matched', () => {
    const text = 'nothing to see here: 42 items at 12.50';
    expect(policy.maskString(text)).to.equal(text);
    expect(Object.is(policy.maskString(text), text)).to.equal(true);
  });

  it('is idempotent: masking a masked text changes nothing', () => {
    for (const [input] of MASKED) {
      const once = policy.maskString(input);
      expect(policy.maskString(once), input).to.equal(once);
    }
  });

  it('cuts strings over 64 KiB, masking the part it keeps', () => {
    const head = 'contact alice@example.com ';
    const text = head + 'x'.repeat(70 * 1024);
    const masked = policy.maskString(text);
    expect(masked.startsWith('contact a***@example.com ')).to.equal(true);
    const note = /…\[truncated (\d+) chars\]$/.exec(masked);
    expect(note, masked.slice(-60)).not.to.equal(null);
    const kept = masked.length - note![0].length + ('alice@example.com'.length - 'a***@example.com'.length);
    expect(kept + Number(note![1])).to.equal(text.length);
  });

  it('cuts at a blank near 64 KiB so a secret is not split into an undetectable half', () => {
    const filler = 'word '.repeat(13105); // 65525 chars: the key straddles the 64 KiB (65536) mark
    const text = filler + 'AKIAIOSFODNN7EXAMPLE' + ' tail'.repeat(1000);
    const masked = policy.maskString(text);
    expect(masked).not.to.include('AKIAIOSFOD');
    expect(masked).to.match(/…\[truncated \d+ chars\]$/);
  });

  it('returns non-strings and the empty string as they are', () => {
    expect(policy.maskString('')).to.equal('');
    expect(policy.maskString(undefined as unknown as string)).to.equal(undefined);
  });

  it('masks a typical exception message and stack', () => {
    const stack = [
      'Error: payment failed for alice@example.com (card 4111 1111 1111 1111, phone +44 20 7946 0958)',
      '    at chargeCard (/srv/app/src/payments/charge.js:88:11)',
      '    at async Promise.all (index 0)',
      '    at async checkout (/srv/app/src/routes/checkout.js:42:13)',
    ].join('\n');
    expect(policy.maskString(stack)).to.equal(
      [
        'Error: payment failed for a***@example.com (card ****-****-****-1111, phone ***-***-0958)',
        '    at chargeCard (/srv/app/src/payments/charge.js:88:11)',
        '    at async Promise.all (index 0)',
        '    at async checkout (/srv/app/src/routes/checkout.js:42:13)',
      ].join('\n'),
    );
  });
});

describe('maskString remembers recent results (worker hot path)', () => {
  it('answers a repeated value with the same masked text, also after the memo was cleared by many others', () => {
    const { policy: fresh } = compileMaskingPolicy();
    const value = 'lookup for alice@example.com from 415-555-1234';
    const first = fresh.maskString(value);
    expect(first).to.equal('lookup for a***@example.com from ***-***-1234');
    expect(fresh.maskString(value)).to.equal(first);
    // More distinct values than the memo holds: it is cleared, and answers stay right afterwards.
    for (let i = 0; i < 10_000; i++) expect(fresh.maskString(`user${i}@example.com`)).to.equal(`u***@example.com`);
    expect(fresh.maskString(value)).to.equal(first);
    expect(fresh.maskString('user9999@example.com')).to.equal('u***@example.com');
  });

  it("is per policy: a policy with a user pattern does not see another policy's results", () => {
    const { policy: plain } = compileMaskingPolicy();
    const { policy: withPattern } = compileMaskingPolicy({ extraPatterns: ['ORDER-\\d{6}'] });
    expect(plain.maskString('ORDER-123456')).to.equal('ORDER-123456');
    expect(withPattern.maskString('ORDER-123456')).to.not.include('123456');
  });
});
