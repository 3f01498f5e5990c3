// A tiny in-memory store with the shape of a real data layer.
var tables = { bookmarks: new Map(), tags: new Map() };
var nextId = 1;

exports.insert = function (table, row) {
  var id = nextId++;
  var saved = Object.assign({ id: id }, row);
  tables[table].set(id, saved);
  return saved;
};

exports.find = function (table, id) {
  return tables[table].get(Number(id));
};

exports.all = function (table) {
  return Array.from(tables[table].values());
};

exports.update = function (table, id, changes) {
  var row = tables[table].get(Number(id));
  if (!row) return undefined;
  Object.assign(row, changes);
  return row;
};

exports.remove = function (table, id) {
  return tables[table].delete(Number(id));
};
