module.exports.userService = require('./user.service');
module.exports.teamService = require('./team.service');
