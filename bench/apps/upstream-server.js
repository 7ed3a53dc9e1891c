'use strict';
/** The local upstream the app's /fetch route calls: a bare node:http server (no preload). */
const http = require('node:http');

const body = JSON.stringify({
  service: 'inventory',
  items: [
    { sku: 'A-1', qty: 3 },
    { sku: 'B-2', qty: 0 },
  ],
});
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port} ${process.memoryUsage().rss}\n`);
});

const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(0);
}, 1000).unref();
