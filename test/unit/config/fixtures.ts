/** Shared setup for the config tests: a throwaway app directory with a known package.json. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadConfig } from '../../../src/config';
import type { LoadedConfig } from '../../../src/config';

export const APP_PACKAGE = { name: '@acme/checkout', version: '2.3.4' };

export interface TempApp {
  root: string;
  remove(): void;
}

/** A temp directory holding `package.json` (or nothing, with `manifest: null`). */
export function createTempApp(manifest: object | string | null = APP_PACKAGE): TempApp {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-config-'));
  if (manifest !== null) {
    fs.writeFileSync(path.join(root, 'package.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  }
  return { root, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** loadConfig with only the given variables (never the test runner's own environment). */
export function loadWith(env: Record<string, string>, appRoot: string): LoadedConfig {
  return loadConfig({ env, appRoot });
}
