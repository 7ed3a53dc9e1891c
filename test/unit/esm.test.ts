/** When the ESM loader hook is installed: only for apps that run as ESM (it costs ~100 ms of startup). */
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { appLooksLikeEsm } from '../../src/esm';

describe('ESM hook: appLooksLikeEsm', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-agent-esm-'));
    fs.mkdirSync(path.join(dir, 'esm-pkg', 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'esm-pkg', 'package.json'), JSON.stringify({ name: 'x', type: 'module' }));
    fs.mkdirSync(path.join(dir, 'cjs-pkg'));
    fs.writeFileSync(path.join(dir, 'cjs-pkg', 'package.json'), JSON.stringify({ name: 'y' }));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('.mjs entry points are ESM, .cjs ones are not', () => {
    expect(appLooksLikeEsm(path.join(dir, 'cjs-pkg', 'app.mjs'), [])).to.equal(true);
    expect(appLooksLikeEsm(path.join(dir, 'esm-pkg', 'app.cjs'), [])).to.equal(false);
  });

  it('.js follows the nearest package.json "type"', () => {
    expect(appLooksLikeEsm(path.join(dir, 'esm-pkg', 'src', 'app.js'), [])).to.equal(true);
    expect(appLooksLikeEsm(path.join(dir, 'cjs-pkg', 'app.js'), [])).to.equal(false);
  });

  it('--import or --loader on the command line means ESM machinery is in use', () => {
    expect(appLooksLikeEsm(path.join(dir, 'cjs-pkg', 'app.js'), ['--import', '/x/register.js'])).to.equal(true);
    expect(appLooksLikeEsm(path.join(dir, 'cjs-pkg', 'app.js'), ['--experimental-loader=x'])).to.equal(true);
    expect(appLooksLikeEsm(undefined, [])).to.equal(false);
  });
});
