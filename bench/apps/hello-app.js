'use strict';
/**
 * The startup benchmark's "loads none of the catalogue" app: node:http only (no express, no database
 * driver, no logger), so an instrumentation that is loaded lazily costs nothing here and one loaded
 * eagerly shows up in full. Prints `LISTENING <port> <rss-bytes>` once listening, like express-app.js.
 */
const http = require('node:http');

const server = http.createServer((request, response) => response.end('hello'));
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port} ${process.memoryUsage().rss}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
