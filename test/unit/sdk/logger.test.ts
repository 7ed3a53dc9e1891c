/** The agent's logger: rate-limited warnings print once per key per minute. */
import { expect } from 'chai';
import { createLogger } from '../../../src/logger';

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
