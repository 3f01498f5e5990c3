const httpStatus = require('../utils/httpStatus');
const config = require('../config/config');
const { User } = require('../models');
const ApiError = require('../utils/ApiError');

/**
 * Create a user
 * @param {Object} userBody
 * @returns {Promise<Object>}
 */
const createUser = async (userBody) => {
  const { name, email, role = 'user' } = userBody;
  if (!name || !email) {
    throw new ApiError(httpStatus.BAD_REQUEST, '"name" and "email" are required');
  }
  if (!User.roles.includes(role)) {
    throw new ApiError(httpStatus.BAD_REQUEST, `"role" must be one of [${User.roles.join(', ')}]`);
  }
  if (await User.isEmailTaken(email)) {
    throw new ApiError(httpStatus.BAD_REQUEST, 'Email already taken');
  }
  return User.create({ name, email: email.toLowerCase(), role, isEmailVerified: false });
};

/**
 * Query for users
 * @param {Object} filter - Filter on the users' fields
 * @param {Object} options - Query options
 * @param {string} [options.sortBy] - Sort option in the format: sortField:(desc|asc)
 * @param {number} [options.limit] - Maximum number of results per page (default = 10)
 * @param {number} [options.page] - Current page (default = 1)
 * @returns {Promise<Object>}
 */
const queryUsers = async (filter, options) => {
  const limit = Math.min(parseInt(options.limit, 10) || config.pagination.defaultLimit, config.pagination.maxLimit);
  const page = parseInt(options.page, 10) > 0 ? parseInt(options.page, 10) : 1;
  const users = await User.find(filter);
  if (options.sortBy) {
    const [field, order] = options.sortBy.split(':');
    const direction = order === 'desc' ? -1 : 1;
    users.sort((a, b) => (a[field] > b[field] ? direction : -direction));
  }
  const totalResults = users.length;
  const results = users.slice((page - 1) * limit, page * limit);
  return { results, page, limit, totalPages: Math.ceil(totalResults / limit), totalResults };
};

/**
 * Get user by id
 * @param {string} id
 * @returns {Promise<Object>}
 */
const getUserById = async (id) => {
  return User.findById(id);
};

/**
 * Get user by email
 * @param {string} email
 * @returns {Promise<Object>}
 */
const getUserByEmail = async (email) => {
  return User.findOne({ email: email.toLowerCase() });
};

/**
 * Update user by id
 * @param {string} userId
 * @param {Object} updateBody
 * @returns {Promise<Object>}
 */
const updateUserById = async (userId, updateBody) => {
  const user = await getUserById(userId);
  if (!user) {
    throw new ApiError(httpStatus.NOT_FOUND, 'User not found');
  }
  if (updateBody.email && (await User.isEmailTaken(updateBody.email, userId))) {
    throw new ApiError(httpStatus.BAD_REQUEST, 'Email already taken');
  }
  const changes = {};
  ['name', 'email', 'role'].forEach((field) => {
    if (updateBody[field] !== undefined) changes[field] = updateBody[field];
  });
  if (changes.email) changes.email = changes.email.toLowerCase();
  return User.updateById(userId, changes);
};

/**
 * Delete user by id
 * @param {string} userId
 * @returns {Promise<Object>}
 */
const deleteUserById = async (userId) => {
  const user = await getUserById(userId);
  if (!user) {
    throw new ApiError(httpStatus.NOT_FOUND, 'User not found');
  }
  await User.deleteById(userId);
  return user;
};

module.exports = {
  createUser,
  queryUsers,
  getUserById,
  getUserByEmail,
  updateUserById,
  deleteUserById,
};
