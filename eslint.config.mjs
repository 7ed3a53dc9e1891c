// ESLint flat config (npm run lint). typescript-eslint's recommended rules, plus the type-aware ones
// that catch real bugs in an agent that must never throw into the app: a floating promise is an
// unhandled rejection waiting to happen, a promise passed where a callback is expected is never
// awaited, an await on a non-promise hides a missing call.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The Node globals our plain-JS files (fixtures, scripts, bench) use; the `globals` package is not a
// dependency, and one list is clearer than a rule turned off.
const NODE_GLOBALS = Object.fromEntries(
  [
    'require',
    'module',
    'exports',
    'process',
    'console',
    '__dirname',
    '__filename',
    'Buffer',
    'URL',
    'URLSearchParams',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'clearImmediate',
    'queueMicrotask',
    'fetch',
    'AbortController',
    'AbortSignal',
    'TextEncoder',
    'TextDecoder',
    'performance',
    'structuredClone',
    'globalThis',
  ].map((name) => [name, 'readonly']),
);

const UNUSED_VARS = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }];

export default tseslint.config(
  {
    ignores: ['build/**', 'node_modules/**', '.node-versions/**', 'test/fixtures/**/node_modules/**', '.tmp/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/no-unused-vars': UNUSED_VARS,
      // Lazy loading is the design (README "Startup"): an exporter, propagator or instrumentation
      // that is not configured is never loaded, and a synchronous `-r` preload cannot await
      // `import()`. A static `import` would load it eagerly, so `require()` stays.
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: NODE_GLOBALS },
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': UNUSED_VARS,
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // chai's property assertions (`expect(x).to.be.true`) are expressions by design.
      '@typescript-eslint/no-unused-expressions': 'off',
      // Tests take apart JSON bodies and logs of the apps they spawn; chai's `expect` takes `any` anyway.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // Shipped code reports through the logger (one prefix, one stream, never throws). Only the logger
  // itself and the CLI, whose purpose is printing, write to the console.
  {
    files: ['src/**/*.ts', 'register.ts'],
    ignores: ['src/logger.ts', 'src/cli/**'],
    rules: { 'no-console': 'error' },
  },
  // Wrappers of express's and Node's functions forward `arguments` as they are: a rest parameter
  // would change the wrapper's `length` (express tells error middleware by `fn.length === 4`) and
  // allocate an array per call on every request; their unused named parameters exist for that length.
  {
    files: ['src/instrumentations/**/*.ts', 'src/patches/**/*.ts'],
    rules: {
      'prefer-rest-params': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '.', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // The bench's own tests run under mocha, like test/.
  {
    files: ['bench/test/**/*.js'],
    languageOptions: { globals: Object.fromEntries(['describe', 'it', 'before', 'after', 'beforeEach', 'afterEach'].map((name) => [name, 'readonly'])) },
  },
  // The report page's script runs in the browser, as a classic script.
  {
    files: ['assets/report/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', location: 'readonly', window: 'readonly' } },
  },
);
