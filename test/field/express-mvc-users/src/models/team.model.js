const Store = require('./store');

const teams = new Store('teams');

module.exports = teams;
