'use strict';

const { HttpError } = require('./errors');

/** In-memory storage; the app is a demo and starts empty. */
const lists = new Map();
const tags = new Map();
let nextId = 1;

function newId() {
  return nextId++;
}

function getList(listId) {
  const list = lists.get(Number(listId));
  if (!list) {
    throw new HttpError(404, `list ${listId} not found`);
  }
  return list;
}

function getTodo(list, todoId) {
  const todo = list.todos.find((t) => t.id === Number(todoId));
  if (!todo) {
    throw new HttpError(404, `todo ${todoId} not found in list ${list.id}`);
  }
  return todo;
}

module.exports = { lists, tags, newId, getList, getTodo };
