/**
 * The static table laziness depends on (targets.ts), checked against the installed catalogue: each
 * instrumentation's own getModuleDefinitions(), and the default set and OTEL_NODE_* semantics
 * against upstream's getNodeAutoInstrumentations() (a differential test: upstream is the oracle).
 */
import { expect } from 'chai';
import { createRequire } from 'module';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { INSTRUMENTATION_TARGETS, METRICS_ONLY_INSTRUMENTATIONS, AGENT_DEFAULT_EXCLUDED } from '../../../src/instrumentations/targets';
import { knownInstrumentationNames } from '../../../src/config/instrumentation-names';
import { loadConfig } from '../../../src/config';

const catalogueRequire = createRequire(require.resolve('@opentelemetry/auto-instrumentations-node'));
const PREFIX = '@opentelemetry/instrumentation-';

function instrumentationClass(shortName: string): new (config?: object) => Instrumentation {
  const exports = catalogueRequire(PREFIX + shortName) as Record<string, unknown>;
  const found = Object.entries(exports).find(([name, value]) => typeof value === 'function' && /Instrumentation$/.test(name));
  return found![1] as new (config?: object) => Instrumentation;
}

/** Upstream's selection under `env`, as short names, with every instance disabled again. */
function upstreamSelection(env: Record<string, string>): string[] {
  const saved = { ...process.env };
  try {
    for (const key of ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'OTEL_NODE_DISABLED_INSTRUMENTATIONS']) delete process.env[key];
    Object.assign(process.env, env);
    const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node') as {
      getNodeAutoInstrumentations(): Instrumentation[];
    };
    const instances = getNodeAutoInstrumentations();
    for (const instance of instances) instance.disable();
    return instances.map((instance) => instance.instrumentationName.slice(PREFIX.length));
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const comparable = (names: string[]) => names.filter((name) => !METRICS_ONLY_INSTRUMENTATIONS.includes(name) && !AGENT_DEFAULT_EXCLUDED.includes(name)).sort();

describe("instrumentation targets (the lazy loader's table)", function () {
  this.timeout(20_000);

  it('names every tracing instrumentation of the installed catalogue', () => {
    const tracing = knownInstrumentationNames().filter((name) => !METRICS_ONLY_INSTRUMENTATIONS.includes(name));
    expect(Object.keys(INSTRUMENTATION_TARGETS).sort()).to.deep.equal([...tracing].sort());
  });

  for (const shortName of Object.keys(INSTRUMENTATION_TARGETS)) {
    it(`${shortName}: the module names its own getModuleDefinitions() returns`, () => {
      const instance = new (instrumentationClass(shortName))({ enabled: false }) as Instrumentation & { getModuleDefinitions(): { name: string }[] };
      const names = [...new Set(instance.getModuleDefinitions().map((definition) => definition.name))];
      expect(names.sort()).to.deep.equal([...INSTRUMENTATION_TARGETS[shortName]].sort());
    });
  }

  for (const env of [
    {},
    { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,fs,pg,net' },
    { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'net,dns,pino' },
    { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg,net,fs', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'net' },
  ] as Record<string, string>[]) {
    it(`selects what upstream's register selects for ${JSON.stringify(env)} (but router, which duplicates express 5 spans)`, () => {
      const ours = loadConfig({ env, appRoot: process.cwd() });
      expect(ours.problems).to.deep.equal([]);
      expect(comparable(ours.config.instrumentations)).to.deep.equal(comparable(upstreamSelection(env)));
    });
  }
});
