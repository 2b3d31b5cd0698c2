// Jest for the extension alone (the root project's jest never looks here): jsdom with Node's
// fetch (test/support/jsdom-environment.cjs), so widgets and the API client can talk to the real
// Berth gateway that test/support/global-setup.cjs starts in a helper process.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // The built output (labextension/, lib/) holds copies of package.json and the code: not test modules.
  modulePathIgnorePatterns: ['<rootDir>/labextension/', '<rootDir>/lib/', '<rootDir>/build/'],
  testEnvironment: '<rootDir>/test/support/jsdom-environment.cjs',
  // test/tsconfig.json sets isolatedModules: ts-jest transpiles file by file; `tsc -b` type-checks src.
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }],
  },
  // One real Berth gateway for every test file (a helper process running the root project's harness).
  globalSetup: '<rootDir>/test/support/global-setup.cjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.cjs',
  testTimeout: 60000,
  maxWorkers: 2,
};
