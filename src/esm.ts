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
 * Limitations: Node < 20.6 has no module.register (outside our engines range). Node 20 runs `-r`
 * preloads again inside the loader worker this starts; register.ts skips non-main threads.
 */
import { createRequire } from 'module';
import { pathToFileURL } from 'url';

export function registerEsmLoaderHook(include: string[]): boolean {
  const nodeModule = require('module') as { register?: (specifier: string, parentURL: string | URL, options?: object) => void };
  if (typeof nodeModule.register !== 'function' || include.length === 0) return false;
  const fromInstrumentation = createRequire(require.resolve('@opentelemetry/instrumentation/package.json'));
  const hookPath = fromInstrumentation.resolve('import-in-the-middle/hook.mjs');
  nodeModule.register(pathToFileURL(hookPath).href, pathToFileURL(__filename), { data: { include } });
  return true;
}
