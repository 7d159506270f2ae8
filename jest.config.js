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
  // One Temporal dev server per suite already keeps both cores busy.
  maxWorkers: 1,
};
