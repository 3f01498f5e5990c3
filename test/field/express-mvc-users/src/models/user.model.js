const Store = require('./store');

const roles = ['user', 'admin'];

const users = new Store('users');

/**
 * Check if email is taken
 * @param {string} email - The user's email
 * @param {string} [excludeUserId] - The id of the user to be excluded
 * @returns {Promise<boolean>}
 */
users.isEmailTaken = async function (email, excludeUserId) {
  const user = await this.findOne({ email: email.toLowerCase() });
  return !!user && user.id !== excludeUserId;
};

module.exports = users;
module.exports.roles = roles;
