#!/usr/bin/env node
'use strict';
// `npm run demo`: runs examples/demo-app.js under the agent, sends a few requests, then prints the
// traces the agent wrote (file exporter, JSON lines) as trees.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const tracesFile = path.join(root, '.tmp', 'demo-traces.jsonl');
fs.mkdirSync(path.dirname(tracesFile), { recursive: true });
fs.rmSync(tracesFile, { force: true });

function printTrees(spans) {
  const byTrace = new Map();
  for (const span of spans) {
    if (!byTrace.has(span.traceId)) byTrace.set(span.traceId, []);
    byTrace.get(span.traceId).push(span);
  }
  for (const [traceId, traceSpans] of byTrace) {
    console.log(`\ntrace ${traceId}`);
    const ids = new Set(traceSpans.map((s) => s.spanId));
    const print = (span, depth) => {
      const status = span.status.code === 'ERROR' ? '  ERROR' : '';
      const attributes = ['http.route', 'http.response.status_code', 'url.full'].filter((k) => span.attributes[k] !== undefined).map((k) => `${k}=${span.attributes[k]}`);
      console.log(`${'  '.repeat(depth + 1)}${span.kind.padEnd(8)} ${span.name}  ${span.durationMs.toFixed(2)} ms ${attributes.join(' ')}${status}`);
      for (const event of span.events) {
        // The stack trace is long: show its first frame only.
        const { 'exception.stacktrace': stack, ...rest } = event.attributes;
        const firstFrame = typeof stack === 'string' ? stack.split('\n').find((line) => line.trim().startsWith('at ')) : undefined;
        console.log(`${'  '.repeat(depth + 3)}event ${event.name}: ${JSON.stringify(rest)}${firstFrame ? ` (${firstFrame.trim()} ...)` : ''}`);
      }
      traceSpans.filter((child) => child.parentSpanId === span.spanId).sort((a, b) => (a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1)).forEach((child) => print(child, depth + 1));
    };
    traceSpans.filter((span) => !ids.has(span.parentSpanId)).forEach((span) => print(span, 0));
  }
}

async function main() {
  const env = {
    ...process.env,
    TRACING_SERVICE_NAME: 'demo-shop',
    TRACING_EXPORTER: 'file',
    TRACING_FILE_PATH: tracesFile,
    TRACING_SCHEDULE_DELAY_MS: '100',
  };
  const app = spawn(process.execPath, ['-r', path.join(root, 'build', 'register.js'), path.join(__dirname, 'demo-app.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    app.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    app.on('exit', (code) => reject(new Error(`demo app exited early (${code})`)));
  });
  console.log(`demo-shop is listening on ${port}, traced by @x/otel-agent (no tracing code in the app)\n`);
  for (const route of ['/users/1', '/orders/7', '/checkout']) {
    const response = await fetch(`http://127.0.0.1:${port}${route}`, { headers: route === '/orders/7' ? { baggage: 'tenant=acme' } : {} });
    console.log(`GET ${route} -> ${response.status} ${await response.text()}`);
  }
  app.kill('SIGTERM'); // the agent flushes on the way out
  await new Promise((resolve) => app.on('exit', resolve));
  const spans = fs.readFileSync(tracesFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  console.log(`\nthe agent exported ${spans.length} spans to ${path.relative(root, tracesFile)}:`);
  printTrees(spans);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
