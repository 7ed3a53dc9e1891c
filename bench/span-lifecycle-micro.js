#!/usr/bin/env node
'use strict';
/**
 * One http SERVER span of 12 attributes from startSpan to end, CPU time per span (process.cpuUsage):
 * sdk-trace 2.11.0's Tracer/SpanImpl against the agent's lean spans (src/sdk/lean-span.ts), same
 * provider options, interleaved twice. Needs a build: `node bench/span-lifecycle-micro.js`.
 */
const path = require('node:path');
const { TracerProvider } = require('@opentelemetry/sdk-trace');
const { ROOT_CONTEXT } = require('@opentelemetry/api');
const { installLeanSpans } = require(path.join(__dirname, '..', 'build', 'src', 'sdk', 'lean-span.js'));

let sink = 0; // keeps the spans observable
const processor = { onStart() {}, onEnd: (s) => (sink += s.attributes['http.response.status_code']), forceFlush: async () => {}, shutdown: async () => {} };
const tracerOf = () => new TracerProvider({ spanProcessors: [processor] }).getTracer('bench', '1');
const sdk = tracerOf();
const lean = tracerOf();
if (!installLeanSpans(lean)) throw new Error('lean spans did not install on this sdk-trace');

function serverSpan(tracer, i) {
  const span = tracer.startSpan(
    'GET',
    {
      kind: 1,
      attributes: {
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'url.path': `/users/${i & 1023}`,
        'server.address': '127.0.0.1',
        'server.port': 3000,
        'network.peer.address': '127.0.0.1',
        'network.peer.port': 50000 + (i & 1023),
        'client.address': '127.0.0.1',
        'user_agent.original': 'autocannon',
        'network.protocol.version': '1.1',
        'network.transport': 'tcp',
        'http.request.header.x': ['y'],
      },
    },
    ROOT_CONTEXT,
  );
  span.setAttribute('http.response.status_code', 200);
  span.setAttribute('http.route', '/users/:id');
  span.setStatus({ code: 0 });
  span.updateName('GET /users/:id');
  span.end();
}

const N = 500000;
for (const [name, tracer] of [
  ['sdk-trace', sdk],
  ['lean', lean],
  ['sdk-trace', sdk],
  ['lean', lean],
]) {
  for (let i = 0; i < 200000; i++) serverSpan(tracer, i);
  const before = process.cpuUsage();
  for (let i = 0; i < N; i++) serverSpan(tracer, i);
  const used = process.cpuUsage(before);
  console.log(`${name.padEnd(10)} ${((used.user + used.system) / N).toFixed(2)} µs per span`);
}
if (sink === 0) console.log('(no span ended)');
