const { randomUUID } = require('crypto');

const matches = (doc, filter) => Object.entries(filter).every(([key, value]) => doc[key] === value);

/**
 * A collection kept in memory, with the few queries the services need.
 * Documents are copied on the way in and out, like rows from a database.
 */
class Store {
  constructor(name) {
    this.name = name;
    this.docs = new Map();
  }

  async create(fields) {
    const now = new Date().toISOString();
    const doc = { id: randomUUID(), ...fields, createdAt: now, updatedAt: now };
    this.docs.set(doc.id, doc);
    return { ...doc };
  }

  async findById(id) {
    const doc = this.docs.get(id);
    return doc ? { ...doc } : null;
  }

  async findOne(filter) {
    for (const doc of this.docs.values()) {
      if (matches(doc, filter)) return { ...doc };
    }
    return null;
  }

  async find(filter = {}) {
    return [...this.docs.values()].filter((doc) => matches(doc, filter)).map((doc) => ({ ...doc }));
  }

  async updateById(id, changes) {
    const doc = this.docs.get(id);
    if (!doc) return null;
    Object.assign(doc, changes, { updatedAt: new Date().toISOString() });
    return { ...doc };
  }

  async deleteById(id) {
    return this.docs.delete(id);
  }
}

module.exports = Store;
