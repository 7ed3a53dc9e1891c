'use strict';
// The demo service: a small express app with no tracing code at all. The agent is loaded with -r.
const express = require('express');

const app = express();
app.get('/users/:id', (req, res) => res.json({ id: req.params.id, name: 'Ada Lovelace' }));
app.get('/orders/:id', async (req, res, next) => {
  try {
    // An outgoing call: the agent propagates the trace to the (same) service over fetch.
    const user = await fetch(`http://127.0.0.1:${server.address().port}/users/42`).then((r) => r.json());
    res.json({ order: req.params.id, user });
  } catch (err) {
    next(err);
  }
});
app.get('/checkout', () => {
  throw new Error('payment declined for card 4111 1111 1111 1111 (customer alice.smith@example.com)');
});
// The app's own JSON error handler.
app.use((err, req, res, next) => {
  res.status(500).json({ error: 'internal error' });
});

const server = app.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
