/**
 * Loads an instrumentation package when the module it patches is first required or imported.
 *
 * Approach: one entry per target module name goes into the require-in-the-middle singleton that
 * every InstrumentationBase shares (a trie of names searched on each `require`), and, when the ESM
 * loader hook runs, one import-in-the-middle `Hook` for the same names. Nothing of the
 * instrumentation's own package is loaded until that entry matches. Then the instrumentation is
 * constructed (its constructor calls `enable()`, which registers its own hooks) and given the
 * tracer provider, and the module being loaded right now is passed through its `_onRequire`.
 *
 * Why the explicit `_onRequire` call: the hooks `enable()` registers do not see the module being
 * loaded right now.
 * - require: the singleton searches its trie once, before calling the matches
 *   (@opentelemetry/instrumentation@0.222.0 build/src/platform/node/RequireInTheMiddleSingleton.js:49,
 *   `_initialize`: `const matches = this._moduleNameTrie.search(...)`,
 *   then `for (const { onRequire } of matches)`), and require-in-the-middle caches what the hooks
 *   returned per file (require-in-the-middle@8.0.1 index.js:303, `self._cache.set(filename, patchedExports, core)`),
 *   so without it a module whose first match is its main module (core modules such as dns and
 *   net, single-file packages) would stay unpatched for that require and, through the cache, every
 *   later one: with the call removed, dns.lookup and net's Socket.prototype.connect stayed unwrapped
 *   (test/integration/startup.test.ts, dns). Packages whose internal files load first (pg, pino) are
 *   patched at their main module by the instrumentation's own hooks either way.
 *   https://github.com/open-telemetry/opentelemetry-js/blob/main/experimental/packages/opentelemetry-instrumentation/src/platform/node/RequireInTheMiddleSingleton.ts
 * - import: import-in-the-middle calls `importHooks.forEach(...)` and only afterwards pushes the
 *   module to `toHook` (import-in-the-middle@3.6.0 lib/register.js:139-140, `register`), so a Hook
 *   added during the call sees neither (forEach does not visit appended hooks; `addHook`, index.js:85,
 *   replays only `toHook`).
 * `_onRequire(module, exports, name, baseDir)` is what InstrumentationBase's own hooks call
 * (instrumentation build/src/platform/node/instrumentation.js:131 `_onRequire`, called from the hooks
 * `enable()` registers at :230): version check, then
 * `patch` for the main module or the matching `files` for an internal file.
 * https://github.com/open-telemetry/opentelemetry-js/blob/main/experimental/packages/opentelemetry-instrumentation/src/platform/node/instrumentation.ts
 *
 * The first match is usually an internal file of the package (a package's main file finishes
 * loading after the files it requires), so the instrumentation exists before its main module and
 * its file patches (winston's logger.js, mongodb's connection.js) apply to files loaded after it.
 *
 * Limitations: a file of the package that finished loading before the first match is not patched
 * (there is none: the first file to finish is the first match). A module required before the agent
 * started (not possible with `-r`) is not patched, as with upstream.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { TracerProvider } from '@opentelemetry/api';
import type { AgentLogger } from '../logger';
import { reportInternalError } from '../safe';
import { errorMessage } from '../error-message';
import { requireBesideInstrumentation } from '../esm';

type ModuleExports = unknown;
type OnRequire = (exports: ModuleExports, name: string, baseDir?: string) => ModuleExports;

interface ModuleDefinition {
  name: string;
}

/** The parts of InstrumentationBase this relies on (public in JS, private in its .d.ts). */
interface PatchableInstrumentation {
  getModuleDefinitions?: () => ModuleDefinition[];
  _onRequire?: (module: ModuleDefinition, exports: ModuleExports, name: string, baseDir?: string) => ModuleExports;
}

export interface LazyInstrumentationOptions {
  /** Short name -> target module names (from targets.ts). */
  targets: ReadonlyMap<string, readonly string[]>;
  create(shortName: string): Instrumentation;
  tracerProvider: TracerProvider;
  logger: AgentLogger;
  /** Also hook `import` (only when the ESM loader hook is installed). */
  esm: boolean;
}

export interface LazyInstrumentations {
  /** Instrumentations constructed so far, by short name. */
  readonly loaded: ReadonlyMap<string, Instrumentation>;
  uninstall(): void;
}

/** Whether `name` (a module name or `pkg/internal/file.js`) belongs to module `target`. */
function belongsTo(name: string, target: string, isCore: boolean): boolean {
  if (name === target || name === `node:${target}`) return true;
  // Core modules match whole names only (`fs` is not `fs/promises`), as the singleton's trie does.
  return !isCore && name.startsWith(target + '/');
}

export function installLazyInstrumentations(options: LazyInstrumentationOptions): LazyInstrumentations {
  const { logger } = options;
  const loaded = new Map<string, Instrumentation>();
  const failed = new Set<string>();
  /** Being constructed: its own package's requires may match its targets again (re-entrant hook). */
  const constructing = new Set<string>();
  const unregisters: Array<() => void> = [];
  let installed = true;

  /** target module name -> short names of the instrumentations that patch it */
  const byModule = new Map<string, string[]>();
  for (const [shortName, modules] of options.targets) {
    for (const moduleName of modules) byModule.set(moduleName, [...(byModule.get(moduleName) ?? []), shortName]);
  }

  function construct(shortName: string, trigger: string): Instrumentation | undefined {
    constructing.add(shortName);
    try {
      const instrumentation = options.create(shortName);
      const { registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof import('@opentelemetry/instrumentation');
      unregisters.push(registerInstrumentations({ instrumentations: [instrumentation], tracerProvider: options.tracerProvider }));
      loaded.set(shortName, instrumentation);
      logger.debug(`instrumentation ${shortName} loaded on first load of ${trigger}`);
      return instrumentation;
    } catch (err) {
      failed.add(shortName);
      logger.error(`cannot load instrumentation "${shortName}" (${errorMessage(err)}); continuing without it`);
      return undefined;
    } finally {
      constructing.delete(shortName);
    }
  }

  /** Runs the new instrumentation's own hook logic on the module being loaded now (see the header). */
  function patchCurrentModule(instrumentation: Instrumentation, exports: ModuleExports, name: string, baseDir: string | undefined): ModuleExports {
    const patchable = instrumentation as unknown as PatchableInstrumentation;
    if (typeof patchable._onRequire !== 'function' || typeof patchable.getModuleDefinitions !== 'function') {
      logger.warn(`instrumentation ${instrumentation.instrumentationName} has no _onRequire: the first load of ${name} stays unpatched`);
      return exports;
    }
    let result = exports;
    for (const definition of patchable.getModuleDefinitions()) {
      if (belongsTo(name, definition.name, baseDir === undefined)) {
        result = patchable._onRequire.call(instrumentation, definition, result, name, baseDir);
      }
    }
    return result;
  }

  function onModule(targetModule: string, exports: ModuleExports, name: string, baseDir: string | undefined): ModuleExports {
    if (!installed) return exports;
    let result = exports;
    for (const shortName of byModule.get(targetModule) ?? []) {
      // Once constructed, the instrumentation's own hooks see every later load of its modules.
      if (loaded.has(shortName) || failed.has(shortName) || constructing.has(shortName)) continue;
      const instrumentation = construct(shortName, name);
      if (instrumentation === undefined) continue;
      try {
        result = patchCurrentModule(instrumentation, result, name, baseDir);
      } catch (err) {
        // Fail open: the app gets the module as loaded (a half-applied patch is the instrumentation's to undo).
        reportInternalError(`instrumentation ${shortName} on ${name}`, err);
      }
    }
    return result;
  }

  // require(): entries in the singleton's trie, matched like the instrumentations' own entries.
  // A path esbuild resolves: in the startup bundle this is the bundle's copy, the one its
  // InstrumentationBase registers in (a runtime require would load a second singleton and hook).
  const { RequireInTheMiddleSingleton } = require('@opentelemetry/instrumentation/build/src/platform/node/RequireInTheMiddleSingleton') as {
    RequireInTheMiddleSingleton: { getInstance(): { register(moduleName: string, onRequire: OnRequire): unknown } };
  };
  const singleton = RequireInTheMiddleSingleton.getInstance();
  for (const targetModule of byModule.keys()) {
    singleton.register(targetModule, (exports, name, baseDir) => onModule(targetModule, exports, name, baseDir));
  }

  // import: the import-in-the-middle copy InstrumentationBase uses, so the loader (esm.ts) feeds it.
  let esmHook: { unhook(): void } | undefined;
  if (options.esm) {
    const { Hook } = requireBesideInstrumentation()('import-in-the-middle') as {
      Hook: new (
        modules: string[],
        options: { internals: boolean },
        hook: (exports: ModuleExports, name: string, baseDir?: string) => ModuleExports,
      ) => { unhook(): void };
    };
    const targets = [...byModule.keys()];
    esmHook = new Hook(targets, { internals: true }, (exports, name, baseDir) => {
      const targetModule = targets.find((target) => belongsTo(name, target, baseDir === undefined));
      return targetModule === undefined ? exports : onModule(targetModule, exports, name, baseDir);
    });
  }

  return {
    loaded,
    uninstall() {
      // The trie has no removal: its entries become pass-throughs.
      installed = false;
      esmHook?.unhook();
      for (const unregister of unregisters.splice(0)) unregister();
    },
  };
}
