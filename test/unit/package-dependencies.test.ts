/**
 * One copy of each OpenTelemetry core package: exporter-jaeger 2.11.0 pins core/sdk-trace exactly, so
 * every other package must be on the matching 2.11.0 / 0.222.0 line (mixing 0.223 gives three cores).
 */
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { REPO_ROOT } from '../helpers/paths';

interface NpmTree {
  version?: string;
  dependencies?: Record<string, NpmTree>;
}

function versionsOf(tree: NpmTree, name: string, found = new Set<string>()): Set<string> {
  for (const [dependency, sub] of Object.entries(tree.dependencies ?? {})) {
    if (dependency === name && sub.version) found.add(sub.version);
    versionsOf(sub, name, found);
  }
  return found;
}

describe('dependency alignment', function () {
  this.timeout(60_000);
  const tree: NpmTree = JSON.parse(
    execFileSync('npm', ['ls', '--all', '--json', '--omit=dev'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
  );

  for (const name of ['@opentelemetry/api', '@opentelemetry/core', '@opentelemetry/sdk-trace', '@opentelemetry/resources', '@opentelemetry/instrumentation']) {
    it(`one version of ${name} in the installed tree`, () => {
      const versions = versionsOf(tree, name);
      expect([...versions], name).to.have.length(1);
    });
  }
});
