/** The config table itself: consistent names, one-line docs, defaults that pass their own parser. */
import { expect } from 'chai';
import { ALL_OPTIONS, defaultConfig, TRACING_VARIABLES } from '../../../src/config';
import { knownInstrumentationNames } from '../../../src/config/instrumentation-names';

describe('config: schema table', () => {
  it('has one row per AgentConfig field and unique TRACING_* names', () => {
    expect(new Set(ALL_OPTIONS.map((row) => row.key)).size).to.equal(ALL_OPTIONS.length);
    expect(new Set(TRACING_VARIABLES).size).to.equal(TRACING_VARIABLES.length);
    expect(Object.keys(defaultConfig())).to.have.members(ALL_OPTIONS.map((row) => row.key));
    for (const name of TRACING_VARIABLES) expect(name).to.match(/^TRACING_[A-Z0-9_]+$/);
  });

  it('has one-line docs and OTEL_* fallbacks only', () => {
    for (const row of ALL_OPTIONS) {
      expect(row.doc, row.key).to.match(/^[^\n]+\.$/);
      for (const fallback of row.otelFallbacks) expect(fallback.envVar, row.key).to.match(/^OTEL_[A-Z_]+$/);
    }
  });

  it('reads instrumentation names from auto-instrumentations-node without loading it', () => {
    const names = knownInstrumentationNames();
    expect(names).to.include.members(['http', 'express', 'undici', 'pg', 'runtime-node']);
    expect(names).not.to.include('instrumentation');
    expect(Object.keys(require.cache).some((file) => file.includes('auto-instrumentations-node/build'))).to.equal(false);
  });
});
