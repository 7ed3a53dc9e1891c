'use strict';
// The demo's `inventory` service, called by `shop`: express, no tracing code (the agent is loaded
// with -r). Answers after a short, uneven delay so the latency table has a spread to show.
const express = require('express');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** A repeatable delay per SKU: most answers in a few ms, sku-7 is the slow one. */
const delayFor = (sku) => (sku === 'sku-7' ? 60 + Math.random() * 90 : 1 + Math.random() * 12);

const app = express();
app.use(express.json());

app.get('/stock/:sku', async (req, res) => {
  await sleep(delayFor(req.params.sku));
  // One SKU's backing store is down: a 503 with a JSON body (the agent adds the trace id to it).
  if (req.params.sku === 'sku-13') return res.status(503).json({ error: 'stock database unavailable' });
  res.json({ sku: req.params.sku, available: 42 });
});

app.post('/reservations', async (req, res) => {
  await sleep(delayFor(req.body?.sku));
  res.status(201).json({ reservation: `res-${Math.floor(Math.random() * 1e6)}`, ...req.body });
});

const server = app.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
