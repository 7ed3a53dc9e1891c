import { expect } from 'chai';
import { SensitiveKeyClassifier, splitKeyIntoWords } from '../../../src/redact/sensitive-keys';

describe('redact: sensitive keys', () => {
  const classifier = new SensitiveKeyClassifier(['employee_number']);

  it('splits keys into lowercase words', () => {
    expect(splitKeyIntoWords('http.request.header.X-Api-Key')).to.deep.equal(['http', 'request', 'header', 'x', 'api', 'key']);
    expect(splitKeyIntoWords('APIKey')).to.deep.equal(['api', 'key']);
    expect(splitKeyIntoWords('userPassword2')).to.deep.equal(['user', 'password', '2']);
  });

  for (const key of [
    'password',
    'PASSWORD',
    'DB_PASSWORD',
    'user.password',
    'passwd',
    'pwd',
    'pass',
    'secret',
    'client_secret',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    'api_key',
    'apikey',
    'api-key',
    'apiKey',
    'X-Api-Key',
    'auth',
    'session',
    'sessionid',
    'session_id',
    'credit_card',
    'card_number',
    'cardnumber',
    'cvv',
    'cvc',
    'ssn',
    'private_key',
    'dbpassword',
    'authtoken',
    'http.request.header.x-csrf-token',
    'EmployeeNumber',
    'employee_number',
  ]) {
    it(`treats ${key} as a secret`, () => {
      expect(classifier.classify(key)).to.equal('secret');
    });
  }

  for (const key of ['authorization', 'Proxy-Authorization', 'http.request.header.authorization']) {
    it(`treats ${key} as credentials (scheme kept)`, () => {
      expect(classifier.classify(key)).to.equal('credentials');
    });
  }

  for (const key of ['cookie', 'Set-Cookie', 'http.response.header.set-cookie']) {
    it(`treats ${key} as a header line`, () => {
      expect(classifier.classify(key)).to.equal('header-line');
    });
  }

  for (const key of [
    'user_id',
    'role',
    'http.method',
    'bypass',
    'compass',
    'author',
    'oauth_provider',
    'monkey',
    'keyboard',
    'card',
    'llm.token_count.prompt',
    'gen_ai.usage.input_tokens',
    'password_length',
    'session.duration',
    'token.js',
    'messaging.message.key',
  ]) {
    it(`does not treat ${key} as sensitive`, () => {
      expect(classifier.classify(key)).to.equal('none');
    });
  }
});
