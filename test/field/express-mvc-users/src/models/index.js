module.exports.User = require('./user.model');
module.exports.Team = require('./team.model');
