/**
 * Which short names TRACING_INSTRUMENTATIONS accepts: every `@opentelemetry/instrumentation-<name>`
 * that @opentelemetry/auto-instrumentations-node depends on, so the list follows the pinned version.
 *
 * Only its package.json is read: requiring the package itself loads every instrumentation (~400 ms).
 * The package does not export `./package.json` (its "exports" map lists only "." and "./register"),
 * so `require.resolve('<pkg>/package.json')` fails; we fall back to the module search paths.
 */
import * as fs from 'fs';
import * as path from 'path';

const AUTO_INSTRUMENTATIONS_PACKAGE = '@opentelemetry/auto-instrumentations-node';
const INSTRUMENTATION_PREFIX = '@opentelemetry/instrumentation-';

/** Used when the package cannot be found, so the defaults stay valid. */
const MINIMAL_NAMES = ['express', 'http', 'undici'];

let cachedNames: readonly string[] | undefined;

/** Sorted short names such as 'express', 'http', 'pg'; read once per process. */
export function knownInstrumentationNames(): readonly string[] {
  if (cachedNames === undefined) {
    cachedNames = readNamesFromManifest() ?? MINIMAL_NAMES;
  }
  return cachedNames;
}

function readNamesFromManifest(): string[] | undefined {
  try {
    const manifestPath = findManifest();
    if (manifestPath === undefined) return undefined;
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { dependencies?: Record<string, string> };
    const names = Object.keys(manifest.dependencies ?? {})
      .filter((dependency) => dependency.startsWith(INSTRUMENTATION_PREFIX))
      .map((dependency) => dependency.slice(INSTRUMENTATION_PREFIX.length))
      .sort();
    return names.length > 0 ? names : undefined;
  } catch {
    return undefined;
  }
}

function findManifest(): string | undefined {
  try {
    return require.resolve(`${AUTO_INSTRUMENTATIONS_PACKAGE}/package.json`);
  } catch {
    // ERR_PACKAGE_PATH_NOT_EXPORTED (see above) or not installed: search like require would.
  }
  for (const searchPath of require.resolve.paths(AUTO_INSTRUMENTATIONS_PACKAGE) ?? []) {
    const candidate = path.join(searchPath, AUTO_INSTRUMENTATIONS_PACKAGE, 'package.json');
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}
