/**
 * Makes the startup bundle's copies of the OpenTelemetry packages the ones the whole process uses.
 *
 * Why: build/agent-bundle.js (scripts/bundle-agent.js) compiles @opentelemetry/api, core,
 * instrumentation and semantic-conventions in, because loading them from node_modules cost ~30 ms
 * of startup (~110 files, each a resolution, package.json reads, a read and a compile). Other code in
 * the process requires the same packages from node_modules: upstream's catalogue instrumentations
 * (loaded when their module first loads), an app's own `@opentelemetry/api` spans, the app's
 * `require('@x/otel-agent')` (build/src/). Each would load a second copy: the startup cost comes back
 * with the first catalogue instrumentation, and @opentelemetry/instrumentation keeps module state
 * (the require-in-the-middle singleton), so a second copy puts a second hook on every `require`.
 *
 * How: each bundled instance goes into `require.cache` under the file Node resolves the package to
 * from here, the key under which Node itself would have cached it. A `require()` that resolves to
 * that file (from the app or a catalogue package: npm hoists one copy) gets the bundle's instance,
 * as when the agent loaded these packages from node_modules. One that resolves to another file (a
 * nested copy of another version) loads that copy, as before. A file already in the cache keeps its
 * instance (with `-r` nothing is loaded before the agent; with `--import` after other preloads, it
 * may be).
 */
import * as path from 'path';
import NodeModule = require('module');

/** Set (to true) by scripts/bundle-agent.js in build/agent-bundle.js. */
declare const OTEL_AGENT_BUNDLE: boolean | undefined;

/**
 * The bundled packages other modules require, each with the bundle's own instance. The literal
 * require()s are what esbuild resolves into the bundle; resolving the names at run time (below) finds
 * the files in node_modules. Packages only the agent requires (sdk-trace, resources, ...) need no
 * entry; import-in-the-middle is not bundled at all (the ESM loader's generated modules import its
 * files from node_modules, and its Hook must share their state).
 */
const SHARED_PACKAGES: ReadonlyArray<readonly [name: string, bundled: () => unknown]> = [
  ['@opentelemetry/api', () => require('@opentelemetry/api')],
  ['@opentelemetry/api-logs', () => require('@opentelemetry/api-logs')],
  ['@opentelemetry/core', () => require('@opentelemetry/core')],
  ['@opentelemetry/semantic-conventions', () => require('@opentelemetry/semantic-conventions')],
  ['@opentelemetry/instrumentation', () => require('@opentelemetry/instrumentation')],
];

type ModuleInternals = typeof NodeModule & {
  new (id: string, parent?: NodeModule): NodeModule;
  _nodeModulePaths(from: string): string[];
};

/** Run from the bundle before any other module can require these packages; a no-op outside it. */
export function shareBundledPackages(): void {
  if (typeof OTEL_AGENT_BUNDLE === 'undefined') return;
  const Module = NodeModule as ModuleInternals;
  for (const [name, bundled] of SHARED_PACKAGES) {
    let filename: string;
    try {
      filename = require.resolve(name);
    } catch {
      continue; // not resolvable from the agent: a copy nested under another package stays its own
    }
    if (require.cache[filename] !== undefined) continue;
    const cached = new Module(filename, module);
    cached.filename = filename;
    cached.paths = Module._nodeModulePaths(path.dirname(filename));
    cached.exports = bundled();
    cached.loaded = true;
    require.cache[filename] = cached;
  }
}
