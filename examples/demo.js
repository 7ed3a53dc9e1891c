#!/usr/bin/env node
'use strict';
// `npm run demo`: two express services traced by the agent with no tracing code in them — `shop`
// calling `inventory` (and `payments`, a peer without the agent) — under a few hundred requests,
// a handful failing. Then `otel-agent report` reads the OTLP/JSON files the agent wrote: latency per
// route, the errors (masked), the service graph and the slowest traces, plus an HTML page.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');

const root = path.join(__dirname, '..');
const outDir = path.join(root, '.tmp', 'demo');
const files = { shop: path.join(outDir, 'shop.jsonl'), inventory: path.join(outDir, 'inventory.jsonl') };
const htmlFile = path.join(outDir, 'report.html');
const REQUESTS = 300;
const CONCURRENCY = 8;

const rel = (file) => path.relative(process.cwd(), file) || '.';

/** Starts `node -r build/register.js <script>` as `service`; resolves with the port it listens on. */
function startTraced(service, script, extraEnv) {
  const env = {
    ...process.env,
    ...extraEnv,
    TRACING_SERVICE_NAME: service,
    TRACING_EXPORTER: 'file',
    TRACING_FILE_PATH: files[service],
    TRACING_SCHEDULE_DELAY_MS: '100',
  };
  const child = spawn(process.execPath, ['-r', path.join(root, 'build', 'register.js'), path.join(__dirname, script)], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /LISTENING (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]), exited: new Promise((done) => child.on('exit', done)) });
    });
    child.on('exit', (code) => reject(new Error(`${service} exited early (${code})`)));
  });
}

/** `payments`: a plain node:http server in this process, without the agent (an uninstrumented peer). */
function startPayments() {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const { sku } = JSON.parse(body || '{}');
      // sku-0's card is always declined.
      res.writeHead(sku === 'sku-0' ? 402 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ approved: sku !== 'sku-0' }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The i-th request of the load: mostly product pages and checkouts; a few hit the failing paths. */
function requestFor(i) {
  if (i % 50 === 17) return { method: 'GET', path: '/products/sku-13' }; // inventory 503 -> shop 502
  if (i % 60 === 29) return { method: 'POST', path: '/checkout', body: { sku: 'sku-0' } }; // payment declined -> 500
  const sku = `sku-${1 + (i % 12)}`; // sku-7 is slow in inventory
  return i % 4 === 0 ? { method: 'POST', path: '/checkout', body: { sku, quantity: 1 + (i % 3) } } : { method: 'GET', path: `/products/${sku}` };
}

async function sendLoad(port) {
  const statuses = new Map();
  let firstError;
  let next = 0;
  const worker = async () => {
    while (next < REQUESTS) {
      const { method, path: urlPath, body } = requestFor(next++);
      const response = await fetch(`http://127.0.0.1:${port}${urlPath}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await response.text();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 500 && firstError === undefined) firstError = { request: `${method} ${urlPath}`, status: response.status, body: text };
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { statuses, firstError };
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  for (const file of [...Object.values(files), htmlFile]) fs.rmSync(file, { force: true });

  const payments = await startPayments();
  const inventory = await startTraced('inventory', 'demo-inventory.js');
  const shop = await startTraced('shop', 'demo-app.js', {
    INVENTORY_URL: `http://127.0.0.1:${inventory.port}`,
    PAYMENTS_URL: `http://127.0.0.1:${payments.address().port}`,
  });
  console.log(`shop (:${shop.port}) and inventory (:${inventory.port}) run under @x/otel-agent, with no tracing code in either;`);
  console.log(`payments (:${payments.address().port}) runs without the agent.\n`);

  const started = Date.now();
  const { statuses, firstError } = await sendLoad(shop.port);
  const summary = [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${n} x ${status}`)
    .join(', ');
  console.log(`sent ${REQUESTS} requests to shop in ${Date.now() - started} ms: ${summary}`);
  // The id a user would paste into a bug report: it finds the trace in the files.
  let reportedTraceId;
  if (firstError) {
    console.log("\na failing request; the agent added the trace id to the app's JSON error body:");
    console.log(`  ${firstError.request} -> ${firstError.status} ${firstError.body}`);
    try {
      reportedTraceId = JSON.parse(firstError.body).trace_id;
    } catch {
      // not JSON after all: no id to point at
    }
  }

  // SIGTERM: the agent flushes its spans on the way out.
  shop.child.kill('SIGTERM');
  inventory.child.kill('SIGTERM');
  await Promise.all([shop.exited, inventory.exited]);
  payments.close();

  const cli = path.join(root, 'build', 'src', 'cli', 'main.js');
  const args = [cli, 'report', '--html', rel(htmlFile), rel(files.shop), rel(files.inventory)];
  console.log(`\n$ otel-agent ${args.slice(1).join(' ')}\n`);
  const report = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (report.status !== 0) throw new Error(`otel-agent report exited with ${report.status ?? report.signal}`);
  console.log(`\nthe same report as a page (one self-contained file): ${rel(htmlFile)}`);
  console.log(`that failed request's trace, every span with its attributes and events:`);
  console.log(`  node ${rel(cli)} report --trace ${reportedTraceId ?? '<trace_id>'} ${rel(files.shop)} ${rel(files.inventory)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
