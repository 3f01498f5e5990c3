'use strict';

const { Router } = require('express');
const repo = require('../repository');

const router = Router();

function total(order) {
  return order.items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}

router.get('/', (req, res) => {
  const orders = repo.list({ status: req.query.status });
  res.json({ orders, count: orders.length });
});

router.post('/', (req, res) => {
  const { customer, items = [] } = req.body;
  if (!customer) return res.status(400).json({ error: 'customer is required' });
  const order = repo.create({ customer, items });
  req.log.info({ orderId: order.id }, 'order created');
  res.status(201).json(order);
});

router.get('/:orderId', (req, res, next) => {
  const order = repo.get(req.params.orderId);
  if (!order) return next();
  res.json({ ...order, total: total(order) });
});

router.post('/:orderId/submit', (req, res, next) => {
  const order = repo.get(req.params.orderId);
  if (!order) return next();
  const submitted = repo.update(order.id, { status: 'submitted' });
  res.json(submitted);
});

module.exports = router;
