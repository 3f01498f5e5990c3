const httpStatus = require('../utils/httpStatus');
const { Team } = require('../models');
const ApiError = require('../utils/ApiError');
const userService = require('./user.service');

/**
 * Create a team owned by an existing user
 * @param {Object} teamBody
 * @returns {Promise<Object>}
 */
const createTeam = async (teamBody) => {
  const { name, ownerId } = teamBody;
  if (!name) {
    throw new ApiError(httpStatus.BAD_REQUEST, '"name" is required');
  }
  const owner = await userService.getUserById(ownerId);
  if (!owner) {
    throw new ApiError(httpStatus.BAD_REQUEST, 'Owner not found');
  }
  return Team.create({ name, ownerId: owner.id, memberIds: [] });
};

/**
 * Get team by id
 * @param {string} id
 * @returns {Promise<Object>}
 */
const getTeamById = async (id) => {
  return Team.findById(id);
};

/**
 * Add a user to a team
 * @param {string} teamId
 * @param {string} userId
 * @returns {Promise<Object>}
 */
const addMember = async (teamId, userId) => {
  const team = await getTeamById(teamId);
  if (!team) {
    throw new ApiError(httpStatus.NOT_FOUND, 'Team not found');
  }
  const user = await userService.getUserById(userId);
  if (!user) {
    throw new ApiError(httpStatus.BAD_REQUEST, 'User not found');
  }
  if (team.memberIds.includes(user.id)) {
    return team;
  }
  return Team.updateById(teamId, { memberIds: [...team.memberIds, user.id] });
};

/**
 * The users of a team
 * @param {string} teamId
 * @returns {Promise<Object[]>}
 */
const getMembers = async (teamId) => {
  const team = await getTeamById(teamId);
  if (!team) {
    throw new ApiError(httpStatus.NOT_FOUND, 'Team not found');
  }
  const members = await Promise.all(team.memberIds.map((id) => userService.getUserById(id)));
  return members.filter(Boolean);
};

module.exports = {
  createTeam,
  getTeamById,
  addMember,
  getMembers,
};
