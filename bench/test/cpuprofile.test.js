'use strict';
// Profiles attribute time to the module a function came from, also inside the agent's startup bundle
// (build/agent-bundle.js), where esbuild marks each module's start with a `// <path>` line.
const { expect } = require('chai');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { packageOf, selfTimes } = require('../lib/cpuprofile');

describe('bench cpuprofile attribution', () => {
  let dir;
  let bundle;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cpuprofile-'));
    fs.mkdirSync(path.join(dir, 'build'));
    bundle = path.join(dir, 'build', 'agent-bundle.js');
    fs.writeFileSync(
      bundle,
      [
        '"use strict";', // 0
        '// node_modules/@opentelemetry/sdk-trace/build/src/Span.js', // 1
        'var require_Span = __commonJS({', // 2
        '  foo() {}', // 3
        '// build/src/sdk/span-codec.js', // 4
        'var require_span_codec = __commonJS({', // 5
        '  encode() {}', // 6
        '// build/src/instrumentations/express/request-pipeline.js', // 7
        '  enterLayer() {}', // 8
      ].join('\n'),
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a function of the bundle belongs to the module whose marker precedes it', () => {
    expect(packageOf(bundle, 3)).to.equal('@opentelemetry/sdk-trace');
    expect(packageOf(bundle, 6)).to.equal('agent: sdk/span-codec');
    expect(packageOf(bundle, 8)).to.equal('agent: instrumentations/express/request-pipeline');
    // before any marker: the bundle itself
    expect(packageOf(bundle, 0)).to.equal(bundle);
  });

  it('files outside the bundle keep their attribution', () => {
    expect(packageOf('node:internal/http')).to.equal('node: core');
    expect(packageOf('/x/node_modules/express/lib/router.js')).to.equal('express');
    expect(packageOf('/x/build/src/sdk/tracing.js')).to.equal('agent: sdk/tracing');
    expect(packageOf('/x/bench/apps/express-app.js')).to.equal('bench app');
  });

  it("selfTimes names a bundled function by its module and sums the module's package", () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 3] },
        { id: 2, callFrame: { functionName: 'encode', url: `file://${bundle}`, lineNumber: 6 } },
        { id: 3, callFrame: { functionName: 'enterLayer', url: `file://${bundle}`, lineNumber: 8 } },
      ],
      samples: [2, 3, 2, 1],
      timeDeltas: [0, 100, 200, 300],
    };
    const file = path.join(dir, 'p.cpuprofile');
    fs.writeFileSync(file, JSON.stringify(profile));
    const { pkgs, fns } = selfTimes(file);
    expect(pkgs.get('agent: sdk/span-codec')).to.equal(100 + 300);
    expect(pkgs.get('agent: instrumentations/express/request-pipeline')).to.equal(200);
    expect([...fns.keys()].some((key) => key.startsWith('encode  ') && key.includes('sdk/span-codec.js (bundled)'))).to.equal(true);
  });
});
