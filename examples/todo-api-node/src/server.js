'use strict';

const { createApp } = require('./app');

const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 3000);

const server = createApp().listen(port, host, () => {
  console.log(`todo-api listening on http://${host}:${port}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
