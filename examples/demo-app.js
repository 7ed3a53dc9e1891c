'use strict';
// The demo's `shop` service: a small express app with no tracing code at all (the agent is loaded
// with -r). It calls `inventory` (traced too) and `payments` (a peer without the agent) with fetch.
const express = require('express');

const INVENTORY_URL = process.env.INVENTORY_URL;
const PAYMENTS_URL = process.env.PAYMENTS_URL;

const app = express();
app.use(express.json());

app.get('/products/:sku', async (req, res, next) => {
  try {
    const stock = await fetch(`${INVENTORY_URL}/stock/${encodeURIComponent(req.params.sku)}`);
    if (!stock.ok) return res.status(502).json({ error: `inventory answered ${stock.status}` });
    res.json({ sku: req.params.sku, price: 19.99, stock: await stock.json() });
  } catch (err) {
    next(err);
  }
});

app.post('/checkout', async (req, res, next) => {
  try {
    const { sku, quantity = 1 } = req.body ?? {};
    const reserve = await fetch(`${INVENTORY_URL}/reservations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku, quantity }),
    });
    if (!reserve.ok) return res.status(409).json({ error: 'out of stock' });
    const charge = await fetch(`${PAYMENTS_URL}/charge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku, quantity }),
    });
    if (!charge.ok) {
      // A careless error message, as apps write them: the agent masks the card number and the email
      // before the exception event leaves the process.
      throw new Error('payment declined for card 4111 1111 1111 1111 (customer alice.smith@example.com)');
    }
    res.status(201).json({ order: `ord-${Date.now()}`, sku, quantity });
  } catch (err) {
    next(err);
  }
});

// The app's own JSON error handler; the agent adds the trace id to this body.
app.use((err, req, res, next) => {
  res.status(500).json({ error: 'internal error' });
});

const server = app.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
