/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.config.js'),
  testMatch: ['<rootDir>/test/postgres-stack/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // The setup bounds its own waits (a first run builds the server first); this is the backstop.
  testTimeout: 300_000,
};
