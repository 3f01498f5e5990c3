module.exports.userController = require('./user.controller');
module.exports.teamController = require('./team.controller');
