'use strict';

const express = require('express');
const pinoHttp = require('pino-http');
const logger = require('./logger');
const orders = require('./routes/orders');

const app = express();

app.use(pinoHttp({ logger }));
app.use(express.json());

app.get('/healthz', (req, res) => res.send('ok'));
app.use('/orders', orders);

app.use((req, res) => {
  res.status(404).json({ error: 'not found' });
});

// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  req.log.error({ err }, 'request failed');
  res.status(err.status || 500).json({ error: 'internal error' });
});

module.exports = app;
