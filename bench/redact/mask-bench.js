'use strict';
/**
 * Micro-benchmark of the PII masking policy (build first: npx tsc -p tsconfig.json).
 *   node bench/redact/mask-bench.js
 * Prints the require time of the masking module, then p50/p95 in µs for masking
 * (1) a typical exception message + stack (~1.5 KB, a few PII items) and
 * (2) a typical HTTP server span's attribute set (~15 attributes).
 * Samples are timed one call at a time after a warm-up, so p95 includes GC pauses.
 */
const path = require('path');

const modulePath = path.resolve(__dirname, '../../build/src/redact');
const modulesBefore = Object.keys(require.cache).length;
const requireStarted = process.hrtime.bigint();
const { compileMaskingPolicy } = require(modulePath);
const requireMs = Number(process.hrtime.bigint() - requireStarted) / 1e6;
const modulesLoaded = Object.keys(require.cache).length - modulesBefore;

const compileStarted = process.hrtime.bigint();
const { policy } = compileMaskingPolicy({ extraPatterns: ['EMP-\\d{6}'], extraKeys: ['x-tenant-pin'] });
const compileMs = Number(process.hrtime.bigint() - compileStarted) / 1e6;

const exceptionText = [
  'PaymentError: charge declined for customer alice.smith@example.com (card 4111 1111 1111 1111, phone +44 20 7946 0958)',
  'request: POST https://payments.internal/v1/charges?customer=cus_42&email=alice.smith%40example.com&amount=1250',
  'body: {"amount":1250,"currency":"eur","password":"Tr0ub4dor&3","metadata":{"order":"ORD-2024-000123"}}',
  '    at PaymentClient.charge (/srv/app/node_modules/payments-sdk/lib/client.js:214:23)',
  '    at processTicksAndRejections (node:internal/process/task_queues:95:5)',
  '    at async ChargeService.chargeOrder (/srv/app/src/services/charge-service.js:88:11)',
  '    at async OrderController.checkout (/srv/app/src/controllers/order-controller.js:142:7)',
  '    at async /srv/app/node_modules/express/lib/router/layer.js:95:5',
  '    at async Layer.handle [as handle_request] (/srv/app/node_modules/express/lib/router/layer.js:95:5)',
  '    at async next (/srv/app/node_modules/express/lib/router/route.js:149:13)',
  '    at async Route.dispatch (/srv/app/node_modules/express/lib/router/route.js:119:3)',
  '    at async /srv/app/node_modules/express/lib/router/index.js:284:15',
  '    at async Function.process_params (/srv/app/node_modules/express/lib/router/index.js:346:12)',
  '    at async authenticate (/srv/app/src/middleware/authenticate.js:31:5)',
  '    at async rateLimit (/srv/app/src/middleware/rate-limit.js:57:9)',
  '    at async requestId (/srv/app/src/middleware/request-id.js:12:3)',
  '    at async Server.<anonymous> (/srv/app/src/server.js:64:5)',
].join('\n');

const httpAttributes = {
  'http.request.method': 'POST',
  'url.full': 'https://shop.example.com/api/orders?ref=newsletter&email=bob%40example.com',
  'url.path': '/api/orders',
  'url.query': 'ref=newsletter&email=bob%40example.com',
  'url.scheme': 'https',
  'http.route': '/api/orders',
  'http.response.status_code': 201,
  'server.address': 'shop.example.com',
  'server.port': 443,
  'client.address': '203.0.113.7',
  'network.protocol.version': '1.1',
  'user_agent.original': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  'http.request.header.authorization': ['Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
  'http.request.header.content-type': ['application/json'],
  'http.request.body.size': 512,
};

function measure(label, iterations, fn) {
  for (let i = 0; i < 2000; i++) fn(); // warm-up: let V8 optimise the regexes and the hot path
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const started = process.hrtime.bigint();
    fn();
    samples[i] = Number(process.hrtime.bigint() - started) / 1e3;
  }
  samples.sort();
  const at = (q) => samples[Math.min(iterations - 1, Math.floor(q * iterations))];
  console.log(
    `${label.padEnd(44)} p50 ${at(0.5).toFixed(1).padStart(6)} µs   p95 ${at(0.95).toFixed(1).padStart(6)} µs   p99 ${at(0.99).toFixed(1).padStart(6)} µs`,
  );
}

console.log(`require(build/src/redact): ${requireMs.toFixed(1)} ms, ${modulesLoaded} modules; compileMaskingPolicy: ${compileMs.toFixed(2)} ms`);
console.log(`exception text: ${exceptionText.length} chars -> ${JSON.stringify(policy.maskString(exceptionText).slice(0, 160))}...`);
measure(`maskString(exception message + stack, ${(exceptionText.length / 1024).toFixed(1)} KB)`, 20000, () => policy.maskString(exceptionText));
measure(`maskAttributes(http span, ${Object.keys(httpAttributes).length} attributes)`, 20000, () => policy.maskAttributes(httpAttributes));
const cleanStack = exceptionText.split('\n').slice(3).join('\n');
measure(`maskString(stack without PII, ${(cleanStack.length / 1024).toFixed(1)} KB)`, 20000, () => policy.maskString(cleanStack));
