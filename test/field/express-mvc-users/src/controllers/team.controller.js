const httpStatus = require('../utils/httpStatus');
const ApiError = require('../utils/ApiError');
const catchAsync = require('../utils/catchAsync');
const { teamService } = require('../services');

const createTeam = catchAsync(async (req, res) => {
  const team = await teamService.createTeam(req.body);
  res.status(httpStatus.CREATED).send(team);
});

const getTeam = catchAsync(async (req, res) => {
  const team = await teamService.getTeamById(req.params.teamId);
  if (!team) {
    throw new ApiError(httpStatus.NOT_FOUND, 'Team not found');
  }
  res.send(team);
});

const addMember = catchAsync(async (req, res) => {
  const team = await teamService.addMember(req.params.teamId, req.body.userId);
  res.send(team);
});

const getMembers = catchAsync(async (req, res) => {
  const members = await teamService.getMembers(req.params.teamId);
  res.send({ results: members, totalResults: members.length });
});

module.exports = {
  createTeam,
  getTeam,
  addMember,
  getMembers,
};
