'use strict';

const express = require('express');
const { errorHandler, notFound } = require('./errors');
const listsRouter = require('./routes/lists');
const todosRouter = require('./routes/todos');

function createApp() {
  const app = express();
  app.use(express.json());

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.use('/lists', listsRouter);
  app.use('/lists/:listId/todos', todosRouter);

  app.use(notFound);
  app.use(errorHandler);
  return app;
}

module.exports = { createApp };
