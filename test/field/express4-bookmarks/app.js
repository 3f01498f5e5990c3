var express = require('express');

var bookmarksRouter = require('./routes/bookmarks');
var tagsRouter = require('./routes/tags');

var app = express();

app.use(express.json());
app.use(express.urlencoded({ extended: false }));

app.get('/', function (req, res) {
  res.send('bookmarks api');
});
app.use('/bookmarks', bookmarksRouter);
app.use('/tags', tagsRouter);

module.exports = app;
