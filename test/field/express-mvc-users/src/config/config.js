const env = process.env.NODE_ENV || 'development';

module.exports = {
  env,
  port: Number(process.env.PORT) || 3000,
  host: process.env.HOST || '127.0.0.1',
  pagination: {
    defaultLimit: 10,
    maxLimit: 100,
  },
};
