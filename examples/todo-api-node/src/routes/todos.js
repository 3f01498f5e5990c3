'use strict';

const express = require('express');
const { newId, getList, getTodo } = require('../store');
const { normalizeTitle } = require('../text');

// mergeParams: the list id comes from the mount path /lists/:listId/todos.
const router = express.Router({ mergeParams: true });

router.post('/', (req, res) => {
  const list = getList(req.params.listId);
  const todo = { id: newId(), title: normalizeTitle(req.body.title), done: false, comments: [] };
  list.todos.push(todo);
  res.status(201).json(publicTodo(todo));
});

router.get('/', (req, res) => {
  res.json(getList(req.params.listId).todos.map(publicTodo));
});

router.get('/:todoId', (req, res) => {
  const list = getList(req.params.listId);
  res.json(publicTodo(getTodo(list, req.params.todoId)));
});

router.patch('/:todoId', (req, res) => {
  const todo = getTodo(getList(req.params.listId), req.params.todoId);
  if (req.body.title !== undefined) {
    todo.title = normalizeTitle(req.body.title);
  }
  if (req.body.done !== undefined) {
    todo.done = Boolean(req.body.done);
  }
  res.json(publicTodo(todo));
});

router.delete('/:todoId', (req, res) => {
  const list = getList(req.params.listId);
  const todo = getTodo(list, req.params.todoId);
  list.todos.splice(list.todos.indexOf(todo), 1);
  res.status(204).end();
});

router.post('/:todoId/comments', (req, res) => {
  const todo = getTodo(getList(req.params.listId), req.params.todoId);
  const text = typeof req.body.text === 'string' ? req.body.text.trim() : '';
  if (!text) {
    res.status(400).json({ error: 'text is required' });
    return;
  }
  const comment = { id: newId(), text };
  todo.comments.push(comment);
  res.json(comment);
});

router.get('/:todoId/comments', (req, res) => {
  res.json(getTodo(getList(req.params.listId), req.params.todoId).comments);
});

function publicTodo(todo) {
  return { id: todo.id, title: todo.title, done: todo.done, commentCount: todo.comments.length };
}

module.exports = router;
