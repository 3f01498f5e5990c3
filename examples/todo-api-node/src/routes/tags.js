'use strict';

const express = require('express');
const { tags, newId } = require('../store');
const { normalizeTitle } = require('../text');

const router = express.Router();

router.post('/', (req, res) => {
  const tag = { id: newId(), name: normalizeTitle(req.body.name) };
  tags.set(tag.id, tag);
  res.status(201).json(tag);
});

router.get('/', (req, res) => {
  res.json([...tags.values()]);
});

module.exports = router;
