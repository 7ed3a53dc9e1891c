/**
 * The application's package.json: the source of the default service name and version.
 * Read with fs (never require) so a broken file cannot throw at load time and nothing is cached in require.cache.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface AppPackage {
  /** Absolute path of the package.json that was read. */
  file: string;
  name: string | undefined;
  version: string | undefined;
}

/**
 * Walks up from `appRoot` to the filesystem root and returns the first package.json that names a package.
 *
 * Files with neither `name` nor `version` are skipped: they are markers such as `{"type": "module"}`
 * in a build folder, not the application's manifest. A file that is unreadable or not JSON ends the
 * search with no result: it is the app's manifest, just broken, and a parent's name would be wrong.
 */
export function findAppPackage(appRoot: string): AppPackage | undefined {
  let dir = path.resolve(appRoot);
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const manifest = readJsonObject(file);
      if (manifest === undefined) return undefined;
      const name = typeof manifest.name === 'string' && manifest.name.trim() !== '' ? manifest.name.trim() : undefined;
      const version = typeof manifest.version === 'string' && manifest.version.trim() !== '' ? manifest.version.trim() : undefined;
      if (name !== undefined || version !== undefined) return { file, name, version };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readJsonObject(file: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Turns an npm package name into a valid service name: `@acme/checkout` -> `acme-checkout`.
 * Runs of characters outside [A-Za-z0-9._-] become one '-'; returns undefined when nothing is left.
 */
export function serviceNameFromPackageName(packageName: string, maxLength: number): string | undefined {
  const sanitized = packageName
    .replace(/^@/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, maxLength);
  return sanitized === '' ? undefined : sanitized;
}
