/** @type {import('jest').Config} */
module.exports = {
  ...require('./jest.config.js'),
  testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  // Each scenario bounds its own waits; this is the backstop.
  testTimeout: 240_000,
  // The faults kill and restart processes on a schedule: one file at a time.
  maxWorkers: 1,
};
