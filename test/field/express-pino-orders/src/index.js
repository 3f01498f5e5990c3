'use strict';

const app = require('./app');
const logger = require('./logger');

const port = Number(process.env.PORT) || 3000;
app.listen(port, '127.0.0.1', () => logger.info({ port }, 'orders api listening'));
