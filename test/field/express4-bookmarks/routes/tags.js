var express = require('express');
var router = express.Router();
var db = require('../db');

/* GET tag counts. */
router.get('/', function (req, res) {
  var counts = {};
  db.all('bookmarks').forEach(function (b) {
    b.tags.forEach(function (t) { counts[t] = (counts[t] || 0) + 1; });
  });
  res.json(counts);
});

router.get('/:name', function (req, res) {
  var rows = db.all('bookmarks').filter(function (b) { return b.tags.indexOf(req.params.name) !== -1; });
  res.json({ tag: req.params.name, bookmarks: rows });
});

module.exports = router;
