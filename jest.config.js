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
  // One file at a time: two at once take 5 min instead of 7.5 here, but deadline tests (a last attempt with a second
  // to spare) then fail now and again on 2 cores.
  maxWorkers: 1,
};
