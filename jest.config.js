/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The examples import the package by name, as users do.
  moduleNameMapper: {
    '^temporal-gcp-lro$': '<rootDir>/src/index.ts',
    '^temporal-gcp-lro/workflows$': '<rootDir>/workflows/index.ts',
    '^temporal-gcp-lro/testing$': '<rootDir>/src/testing/index.ts',
  },
  testPathIgnorePatterns: ['/node_modules/', '/test/faults/', '/test/postgres-stack/'],
  testTimeout: 120_000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  // Two files at a time: about 5 min here, against 8.5 one at a time. The bounds that only the emulator's timers set
  // leave room for two cores shared by two test files and their servers; the few that Temporal's round trips set (a
  // wait seen within 1 s of the finish) held in every run two at a time.
  maxWorkers: 2,
};
