/**
 * ESM support from a CommonJS preload.
 *
 * Approach: `module.register()` installs import-in-the-middle's loader (hook.mjs) with an `include`
 * list, so only the modules our instrumentations patch are wrapped; InstrumentationBase then receives
 * ESM imports through the import-in-the-middle `Hook` it already creates. hook.mjs is resolved from
 * @opentelemetry/instrumentation's own dependencies, so loader and Hook are the same copy.
 * The message-channel variant of import-in-the-middle needs an `await`, which a synchronous `-r`
 * preload cannot do; the `include` variant does not.
 *
 * Cost: the loader runs in its own thread and every ESM import is a round trip to it: ~100-125 ms
 * of startup measured on an express app. So TRACING_ESM_HOOK=auto installs it only when the app is
 * ESM: an .mjs entry point, a .js one under a `"type": "module"` package.json, or an `--import` /
 * `--loader` flag on the command line.
 *
 * Limitations: Node < 20.6 has no module.register (outside our engines range). Node 20 runs `-r`
 * preloads again inside the loader worker this starts; register.ts skips non-main threads. With
 * `auto`, a CommonJS app that `import()`s an instrumented ESM-only package needs TRACING_ESM_HOOK=on.
 */
import { createRequire } from 'module';
import { pathToFileURL } from 'url';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import type { EsmHookMode } from './config/types';

function nearestPackageType(directory: string): string | undefined {
  for (let dir = directory; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const type = (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type;
        return typeof type === 'string' ? type : undefined;
      } catch {
        return undefined;
      }
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** Whether the app runs as ESM, judged as Node does: by the entry point's extension and package type. */
export function appLooksLikeEsm(entryPoint: string | undefined = process.argv[1], execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((flag) => /^--(import|loader|experimental-loader)\b/.test(flag))) return true;
  if (!entryPoint) return false;
  const extension = path.extname(entryPoint);
  if (extension === '.mjs' || extension === '.mts') return true;
  if (extension === '.cjs' || extension === '.cts') return false;
  return nearestPackageType(path.dirname(path.resolve(entryPoint))) === 'module';
}

export function shouldRegisterEsmHook(mode: EsmHookMode): boolean {
  return mode === 'on' || (mode === 'auto' && appLooksLikeEsm());
}

/**
 * A require() that resolves from @opentelemetry/instrumentation's directory in node_modules, so it
 * finds the import-in-the-middle that InstrumentationBase loads (the startup bundle leaves it there).
 * The name is a variable: esbuild would otherwise try to resolve the literal into the bundle.
 */
const INSTRUMENTATION_PACKAGE_JSON = '@opentelemetry/instrumentation/package.json';
export function requireBesideInstrumentation(): NodeJS.Require {
  return createRequire(require.resolve(INSTRUMENTATION_PACKAGE_JSON));
}

export function registerEsmLoaderHook(include: string[]): boolean {
  const nodeModule = require('module') as { register?: (specifier: string, parentURL: string | URL, options?: object) => void };
  if (typeof nodeModule.register !== 'function' || include.length === 0) return false;
  const hookPath = requireBesideInstrumentation().resolve('import-in-the-middle/hook.mjs');
  nodeModule.register(pathToFileURL(hookPath).href, pathToFileURL(__filename), { data: { include } });
  return true;
}
