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
  // Two files at once, each with its own dev server: a suite file keeps about two thirds of a core busy (it mostly
  // waits on timers and polls), so two share this machine's two cores and the suite takes 5.5 min instead of 8.3.
  maxWorkers: 2,
};
