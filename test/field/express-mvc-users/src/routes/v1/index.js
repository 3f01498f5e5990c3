const express = require('express');
const healthRoute = require('./health.route');
const userRoute = require('./user.route');
const teamRoute = require('./team.route');

const router = express.Router();

const defaultRoutes = [
  {
    path: '/users',
    route: userRoute,
  },
  {
    path: '/teams',
    route: teamRoute,
  },
];

router.use('/health', healthRoute);

defaultRoutes.forEach((route) => {
  router.use(route.path, route.route);
});

module.exports = router;
