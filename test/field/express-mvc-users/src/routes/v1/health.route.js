const express = require('express');

const router = express.Router();

router.get('/', (req, res) => {
  res.send({
    status: 'ok',
    uptime: Math.round(process.uptime()),
    timestamp: new Date().toISOString(),
  });
});

module.exports = router;
