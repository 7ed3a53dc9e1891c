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
 * - what the main thread loads lazily (propagators, metrics, re2js, the catalogue): a require() at the place
 *   it is needed, as before; and what only the export worker loads (its own bundle, below);
 * - JSON files (package.json reads) and Node's builtins.
 *
 * The export worker (its own thread) gets a bundle of its own, build/export-worker-bundle.js, from
 * build/src/sdk/export-worker.js: the SDK, the OTLP exporters with @grpc/grpc-js and protobufjs, the
 * masking, the metrics host. Loaded file by file they were ~250 modules and each costs memory for as
 * long as the worker lives: the bundle measured ~11 MiB less RSS on Node 24 and ~7 MiB less on Node
 * 20 (an idle app, the exporter loaded; README Design). A bundled package's code runs only when it is
 * required (esbuild wraps each module), so an exporter not configured costs its compile only. Left outside
 * (WORKER_EXTERNAL_PACKAGES): packages that read files beside their own at runtime (Jaeger's thrift
 * IDL) and opt-in ones too large to compile into every worker (re2js, the cloud resource detectors
 * and their HTTP clients).
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

/** Opt-in packages of the export worker that stay in node_modules (see the header). */
const WORKER_EXTERNAL_PACKAGES = new Set([
  '@opentelemetry/exporter-jaeger',
  're2js',
  '@opentelemetry/resource-detector-alibaba-cloud',
  '@opentelemetry/resource-detector-aws',
  '@opentelemetry/resource-detector-azure',
  '@opentelemetry/resource-detector-gcp',
]);

const externalIfListed = {
  name: 'external-if-listed',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (WORKER_EXTERNAL_PACKAGES.has(packageOf(args.path)) ? { path: args.path, external: true } : undefined));
  },
};

const COMMON_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Not minified: an internal error's stack trace should point at a readable line (esbuild drops the
  // comments either way); minifying whitespace measured no faster to load (15 interleaved runs).
  legalComments: 'none',
  // No `module` condition (esbuild's default adds it): each package's files are the ones Node's
  // require() resolves to (@opentelemetry/api's build/src/, not build/esm/), so the instances that
  // share-bundled-packages.ts puts in require.cache have the exports Node would have given.
  conditions: [],
  logLevel: 'warning',
};

Promise.all([
  esbuild.build({
    ...COMMON_OPTIONS,
    entryPoints: [path.join(ROOT, 'build', 'src', 'start-from-env.js')],
    outfile: path.join(ROOT, 'build', 'agent-bundle.js'),
    // worker-span-processor.ts: the export worker's file is build/export-worker-bundle.js, and
    // __dirname in the bundle is build/.
    define: { OTEL_AGENT_BUNDLE: 'true' },
    plugins: [externalUnlessBundled],
  }),
  esbuild.build({
    ...COMMON_OPTIONS,
    entryPoints: [path.join(ROOT, 'build', 'src', 'sdk', 'export-worker.js')],
    outfile: path.join(ROOT, 'build', 'export-worker-bundle.js'),
    plugins: [externalIfListed],
  }),
]).catch(() => {
  process.exitCode = 1; // esbuild has printed the errors
});
