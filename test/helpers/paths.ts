import * as path from 'path';

/** Tests run from build/test/...; the repository root is where package.json lives. */
export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const REGISTER = path.join(REPO_ROOT, 'build', 'register.js');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const fixture = (name: string) => path.join(FIXTURES, name);
