'use strict';

const { HttpError } = require('./errors');

/** Trims and collapses white space; a title is 1 to 200 characters. */
function normalizeTitle(value) {
  if (typeof value !== 'string') {
    throw new HttpError(400, 'title must be a string');
  }
  const title = value.trim().replace(/\s+/g, ' ');
  if (title.length === 0 || title.length > 200) {
    throw new HttpError(400, 'title must be 1 to 200 characters');
  }
  return title;
}

module.exports = { normalizeTitle };
