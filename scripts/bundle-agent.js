#!/usr/bin/env node
'use strict';
/**
 * Bundles what `register` loads at startup into build/agent-bundle.js (run by `npm run build`, after
 * tsc): the agent's own modules (from build/src/start-from-env.js) and the packages only the agent
 * uses. Why: at startup each module costs a resolution (stat, realpath, package.json reads), a read
 * and a compile; ~150 of them became one file (bench/apps/express-app.js, spawn -> listening, medians
 * of 12 interleaved runs on 2 cores: ~40 ms less on Node 20 and 24).
 *
 * Bundled too, and shared: @opentelemetry/api, api-logs, core, instrumentation and
 * semantic-conventions, which upstream's catalogue instrumentations and apps require as well. Loading
 * them from node_modules was ~30 ms of startup (~110 files). src/share-bundled-packages.ts puts the
 * bundle's instances in require.cache under the files Node resolves them to, so the process still
 * holds one copy of each (one require-in-the-middle singleton, one hook on `require`).
 *
 * Left outside, loaded from node_modules as before:
 * - import-in-the-middle: the ESM loader's generated modules import its files from node_modules, and
 *   the Hook that InstrumentationBase creates must share their state;
 * - everything loaded lazily or only in the export worker (exporters, gRPC, propagators, resource
 *   detectors, metrics, re2js, the catalogue): a require() at the place it is needed, as before;
 * - JSON files (package.json reads) and Node's builtins.
 * The export worker is its own thread and entry (build/src/sdk/export-worker.js), not bundled.
 *
 *   node scripts/bundle-agent.js   (needs the tsc output in build/)
 */
const path = require('path');
const esbuild = require('esbuild');

const ROOT = path.join(__dirname, '..');

/** Packages loaded at startup by the agent (the shared ones also in share-bundled-packages.ts). */
const BUNDLED_PACKAGES = new Set([
  // shared with the catalogue and the app, through require.cache
  '@opentelemetry/api',
  '@opentelemetry/api-logs',
  '@opentelemetry/core',
  '@opentelemetry/semantic-conventions',
  '@opentelemetry/instrumentation',
  // what @opentelemetry/instrumentation requires at load, but import-in-the-middle (see above) and
  // require-in-the-middle's `debug`, which express and many apps load from node_modules anyway
  'require-in-the-middle',
  'module-details-from-path',
  // the agent's alone
  '@opentelemetry/sdk-trace',
  '@opentelemetry/resources',
  '@opentelemetry/context-async-hooks',
  '@opentelemetry/instrumentation-http',
  '@opentelemetry/instrumentation-undici',
  'env-var',
  'forwarded-parse',
]);

const packageOf = (specifier) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

const externalUnlessBundled = {
  name: 'external-unless-bundled',
  setup(build) {
    // Bare specifiers: a package (or a builtin, `node:` or not).
    build.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED_PACKAGES.has(packageOf(args.path)) ? undefined : { path: args.path, external: true }));
  },
};

esbuild
  .build({
    entryPoints: [path.join(ROOT, 'build', 'src', 'start-from-env.js')],
    outfile: path.join(ROOT, 'build', 'agent-bundle.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // worker-span-processor.ts: the export worker's file is build/src/sdk/export-worker.js, and
    // __dirname in the bundle is build/.
    define: { OTEL_AGENT_BUNDLE: 'true' },
    plugins: [externalUnlessBundled],
    // Not minified: an internal error's stack trace should point at a readable line (esbuild drops the
    // comments either way); minifying whitespace measured no faster to load (15 interleaved runs).
    legalComments: 'none',
    // No `module` condition (esbuild's default adds it): each package's files are the ones Node's
    // require() resolves to (@opentelemetry/api's build/src/, not build/esm/), so the instances that
    // share-bundled-packages.ts puts in require.cache have the exports Node would have given.
    conditions: [],
    logLevel: 'warning',
  })
  .catch(() => {
    process.exitCode = 1; // esbuild has printed the errors
  });
