'use strict';
/**
 * The benchmarked app: a small express 5 service, run as a child process by bench/run.js,
 * bare or under a preload (`-r`). Prints `LISTENING <port> <rss-bytes>` once listening.
 *
 *   GET /users/:id  200 JSON
 *   GET /error      throws; answered by the JSON error middleware (500, JSON body)
 *   GET /fetch      one outgoing global fetch() to BENCH_UPSTREAM_URL, 200 JSON
 *   GET /__rss      {"rss": <bytes>} (bench bookkeeping)
 *
 * Env: PORT (default 0), BENCH_UPSTREAM_URL, BENCH_EXIT_ON_SIGTERM=1 (exit(0) on SIGTERM/SIGINT so
 * `node --cpu-prof` can write its profile).
 */
const express = require('express');

const upstreamUrl = process.env.BENCH_UPSTREAM_URL;
const app = express();
app.use(express.json());

app.get('/users/:id', (req, res) => {
  const id = req.params.id;
  res.json({ id, name: `User ${id}`, email: `user${id}@example.com`, roles: ['reader'], active: true });
});

app.get('/error', () => {
  throw new Error('user lookup failed: database timeout after 250 ms');
});

app.get('/fetch', async (req, res, next) => {
  if (!upstreamUrl) return next(new Error('BENCH_UPSTREAM_URL is not set'));
  try {
    const response = await fetch(upstreamUrl);
    const upstream = await response.json();
    res.json({ ok: response.ok, upstream });
  } catch (err) {
    next(err);
  }
});

app.get('/__rss', (req, res) => {
  res.json({ rss: process.memoryUsage().rss });
});

// The app's own JSON error middleware.

app.use((err, req, res, _next) => {
  res.status(500).json({ error: 'internal_error', message: err.message });
});

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port} ${process.memoryUsage().rss}\n`);
});
server.keepAliveTimeout = 30_000;

if (process.env.BENCH_EXIT_ON_SIGTERM === '1') {
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)).closeAllConnections());
}

// Never outlive the bench: exit when the parent goes away (checked once a second, unref'd).
const parentPid = process.ppid;
setInterval(() => {
  if (process.ppid !== parentPid) process.exit(0);
}, 1000).unref();
