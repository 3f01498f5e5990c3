const express = require('express');
const { teamController } = require('../../controllers');

const router = express.Router();

router.post('/', teamController.createTeam);
router.get('/:teamId', teamController.getTeam);

router
  .route('/:teamId/members')
  .get(teamController.getMembers)
  .post(teamController.addMember);

module.exports = router;
