var express = require('express');
var router = express.Router();
var db = require('../db');

router.route('/')
  .get(function (req, res) {
    var tag = req.query.tag;
    var rows = db.all('bookmarks');
    if (tag) rows = rows.filter(function (b) { return b.tags.indexOf(tag) !== -1; });
    res.json(rows);
  })
  .post(function (req, res) {
    if (!req.body || !req.body.url) return res.status(400).json({ error: 'url is required' });
    var bookmark = db.insert('bookmarks', { url: req.body.url, title: req.body.title || req.body.url, tags: req.body.tags || [] });
    res.status(201).json(bookmark);
  });

router.route('/:id')
  .get(function (req, res, next) {
    var bookmark = db.find('bookmarks', req.params.id);
    if (!bookmark) return next();
    res.json(bookmark);
  })
  .put(function (req, res, next) {
    var bookmark = db.update('bookmarks', req.params.id, req.body);
    if (!bookmark) return next();
    res.json(bookmark);
  })
  .delete(function (req, res) {
    db.remove('bookmarks', req.params.id);
    res.sendStatus(204);
  });

router.get('/:id/visit', function (req, res, next) {
  var bookmark = db.find('bookmarks', req.params.id);
  if (!bookmark) return next();
  bookmark.visits = (bookmark.visits || 0) + 1;
  res.json({ url: bookmark.url, visits: bookmark.visits });
});

module.exports = router;
