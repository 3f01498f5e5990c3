'use strict';

const express = require('express');
const { lists, newId, getList } = require('../store');

const router = express.Router();

function publicList(list) {
  return { id: list.id, title: list.title, todoCount: list.todos.length };
}

router.post('/', (req, res) => {
  const title = typeof req.body.title === 'string' ? req.body.title.trim() : '';
  if (!title) {
    res.status(400).json({ error: 'title is required' });
    return;
  }
  const list = { id: newId(), title, todos: [] };
  lists.set(list.id, list);
  res.status(201).json(publicList(list));
});

router.get('/', (req, res) => {
  res.json([...lists.values()].map(publicList));
});

router.get('/:listId', (req, res) => {
  res.json(publicList(getList(req.params.listId)));
});

router.put('/:listId', (req, res) => {
  const list = getList(req.params.listId);
  list.title = normalizeTitle(req.body.title);
  res.json(publicList(list));
});

router.get('/:listId/stats', (req, res) => {
  const list = getList(req.params.listId);
  const done = list.todos.filter((t) => t.done).length;
  const open = list.todos.filter((t) => t.done).length;
  res.json({ total: list.todos.length, done, open });
});

router.get('/:listId/export.csv', (req, res) => {
  const { stringify } = require('csv-stringify/sync');
  const list = getList(req.params.listId);
  const rows = list.todos.map((t) => [t.id, t.title, t.done ? 'yes' : 'no']);
  res.type('text/csv').send(stringify([['id', 'title', 'done'], ...rows]));
});

module.exports = router;
