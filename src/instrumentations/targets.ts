/**
 * What each instrumentation of the catalogue patches, by module name, without loading it.
 *
 * Approach: laziness needs to know which `require`/`import` should load an instrumentation before
 * the instrumentation package is required, so the names its `init()` returns
 * (`getModuleDefinitions()`) are copied here for the version line we pin
 * (@opentelemetry/auto-instrumentations-node@0.80.0). test/unit/instrumentations/targets.test.ts
 * constructs every instrumentation of the installed catalogue and fails when this table differs.
 *
 * The default set is upstream register's: every instrumentation of its `InstrumentationMap` except
 * `defaultExcludedInstrumentations` (fs, host-metrics), see
 * @opentelemetry/auto-instrumentations-node@0.80.0 build/src/utils.js:109 (and :113, `shouldDisableInstrumentation`)
 * (https://github.com/open-telemetry/opentelemetry-js-contrib/blob/main/packages/auto-instrumentations-node/src/utils.ts).
 * runtime-node and host-metrics produce metrics only; the agent exports traces, so they are not accepted.
 */

/** Module names each instrumentation hooks. Empty: nothing to hook by name (see EAGER_WHEN). */
export const INSTRUMENTATION_TARGETS: Readonly<Record<string, readonly string[]>> = {
  amqplib: ['amqplib'],
  'aws-lambda': [],
  'aws-sdk': ['@aws-sdk/middleware-stack', '@smithy/middleware-stack', '@smithy/core', '@aws-sdk/smithy-client', '@smithy/smithy-client'],
  bunyan: ['bunyan'],
  'cassandra-driver': ['cassandra-driver'],
  connect: ['connect'],
  cucumber: ['@cucumber/cucumber'],
  dataloader: ['dataloader'],
  dns: ['dns', 'dns/promises'],
  express: ['express'],
  fs: ['fs', 'fs/promises'],
  'generic-pool': ['generic-pool'],
  graphql: ['graphql'],
  grpc: ['@grpc/grpc-js'],
  hapi: ['@hapi/hapi'],
  http: ['https', 'http'],
  ioredis: ['ioredis'],
  kafkajs: ['kafkajs'],
  knex: ['knex'],
  koa: ['koa'],
  'lru-memoizer': ['lru-memoizer'],
  memcached: ['memcached'],
  mongodb: ['mongodb'],
  mongoose: ['mongoose'],
  mysql: ['mysql'],
  mysql2: ['mysql2'],
  'nestjs-core': ['@nestjs/core'],
  net: ['net'],
  openai: ['openai'],
  oracledb: ['oracledb'],
  pg: ['pg', 'pg-pool'],
  pino: ['pino'],
  redis: ['redis', '@redis/client', '@node-redis/client'],
  restify: ['restify'],
  router: ['router'],
  'socket.io': ['socket.io'],
  tedious: ['tedious'],
  undici: [],
  winston: ['winston'],
};

/**
 * Loaded at start (not lazily), with the construction catalog.ts gives them: http and express carry
 * the agent's own hooks, undici subscribes to diagnostics_channel (no module to wait for).
 */
export const EAGER_INSTRUMENTATIONS: readonly string[] = ['http', 'express', 'undici'];

/**
 * Instrumentations whose target is not a module name. aws-lambda's `init()` derives the handler's
 * file from LAMBDA_TASK_ROOT and _HANDLER and hooks nothing without them
 * (instrumentation-aws-lambda/build/src/instrumentation.js, `init()`), so outside Lambda it is not
 * loaded at all, and inside Lambda it is loaded at start.
 */
export const EAGER_WHEN: Readonly<Record<string, (env: NodeJS.ProcessEnv) => boolean>> = {
  'aws-lambda': (env) => Boolean(env.LAMBDA_TASK_ROOT && env._HANDLER),
};

/** Off by default, as in upstream's register (`defaultExcludedInstrumentations`). */
export const UPSTREAM_DEFAULT_EXCLUDED: readonly string[] = ['fs', 'host-metrics'];

/**
 * Off by default here although upstream's register (0.80.0) enables them:
 * - router: express 5 routes through the `router` package, so instrumentation-router would add a
 *   second span for each middleware layer the express instrumentation already traces;
 * - dns, net: a span per lookup and per TCP connect under every outgoing call, which the http/undici
 *   CLIENT span already times; they double the spans of a typical request for little a user reads,
 *   and the issue that asked for the catalogue asked for them off. `+router`, `+dns`, `+net` turn them on.
 */
export const AGENT_DEFAULT_EXCLUDED: readonly string[] = ['router', 'dns', 'net'];

/** Listed by auto-instrumentations-node but produce metrics, not spans. */
export const METRICS_ONLY_INSTRUMENTATIONS: readonly string[] = ['host-metrics', 'runtime-node'];
