'use strict';

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
  }
}

function notFound(req, res) {
  res.status(404).json({ error: 'Not Found', message: `no route for ${req.method} ${req.path}` });
}

// Express recognises an error handler by its four parameters.
// eslint-disable-next-line no-unused-vars
function errorHandler(err, req, res, next) {
  if (err instanceof HttpError) {
    res.status(err.status).json({ error: err.message });
    return;
  }
  if (err && err.type === 'entity.parse.failed') {
    res.status(400).json({ error: 'request body is not valid JSON' });
    return;
  }
  console.error(`${req.method} ${req.originalUrl} failed:`);
  console.error(err && err.stack ? err.stack : String(err));
  res.status(500).json({ error: 'Internal Server Error', message: err && err.message ? err.message : String(err) });
}

module.exports = { HttpError, errorHandler, notFound };
