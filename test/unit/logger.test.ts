/** The agent's logger: rate-limited warnings print once per key per minute. */
import { expect } from 'chai';
import { createLogger, registerDiagnosticSecrets, secretsOfConfig } from '../../src/logger';

describe('logger warnRateLimited', () => {
  it('prints a key once per minute, other keys independently', () => {
    const lines: string[] = [];
    const logger = createLogger('warn', (line) => lines.push(line));
    for (let i = 0; i < 100; i++) logger.warnRateLimited('export:otlp', `export failed ${i}`);
    logger.warnRateLimited('queue-full', 'queue full');
    expect(lines).to.deep.equal(['otel-agent: export failed 0', 'otel-agent: queue full']);
  });

  it('prints nothing below its level', () => {
    const lines: string[] = [];
    createLogger('error', (line) => lines.push(line)).warnRateLimited('k', 'hidden');
    expect(lines).to.deep.equal([]);
  });
});

describe('logger masking (issue 11, item 5)', () => {
  it('masks the endpoint password, the configured header values and secrets in every line, at every level', () => {
    registerDiagnosticSecrets(
      secretsOfConfig({ endpoint: 'http://ops:Pa%24%24w0rd9@collector:4318', headers: { 'x-honeycomb-team': 'HoneyKey77', 'x-short': 'on' } }),
    );
    const lines: string[] = [];
    const logger = createLogger('debug', (line) => lines.push(line));
    logger.warn('otlp-http export to http://ops:Pa%24%24w0rd9@collector:4318/v1/traces failed (ECONNREFUSED)');
    logger.debug('sent headers x-honeycomb-team=HoneyKey77 and a decoded Pa$$w0rd9');
    logger.error('upstream said: authorization: Bearer abcdef0123456789abcdef');
    logger.warnRateLimited('k', 'reply from alice.smith@example.com');
    expect(lines).to.deep.equal([
      'otel-agent: otlp-http export to http://ops:***@collector:4318/v1/traces failed (ECONNREFUSED)',
      'otel-agent: sent headers x-honeycomb-team=*** and a decoded ***',
      'otel-agent: upstream said: authorization: Bearer ***',
      'otel-agent: reply from a***@example.com',
    ]);
  });

  it('keeps ordinary diagnostics as they are (short header values are not treated as secrets)', () => {
    const lines: string[] = [];
    createLogger('warn', (line) => lines.push(line)).warn('span queue full (TRACING_MAX_QUEUE_SIZE=2048): dropping spans; turned on');
    expect(lines).to.deep.equal(['otel-agent: span queue full (TRACING_MAX_QUEUE_SIZE=2048): dropping spans; turned on']);
  });
});
