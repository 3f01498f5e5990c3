'use strict';

class OrderRepository {
  constructor() {
    this.orders = new Map();
    this.seq = 100;
  }

  create({ customer, items }) {
    const id = String(++this.seq);
    const order = { id, customer, items, status: 'open', createdAt: new Date().toISOString() };
    this.orders.set(id, order);
    return order;
  }

  get(id) {
    return this.orders.get(id);
  }

  list({ status } = {}) {
    const all = [...this.orders.values()];
    return status ? all.filter((o) => o.status === status) : all;
  }

  update(id, changes) {
    const order = this.orders.get(id);
    if (!order) return undefined;
    Object.assign(order, changes);
    return order;
  }
}

module.exports = new OrderRepository();
