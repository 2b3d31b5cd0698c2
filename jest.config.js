// Jest configuration for the whole repository (run it through `npm test`, see scripts/test.mjs).
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testEnvironment: 'node',
  // TypeScript and JavaScript both go through ts-jest. test/tsconfig.json sets isolatedModules, so
  // ts-jest transpiles file by file without type checking (fast; `tsc -b gateway` type-checks).
  transform: {
    '^.+\\.[tj]sx?$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }],
  },
  // @jupyterlab/services and its dependencies ship ES modules: transform them, skip the rest of node_modules.
  transformIgnorePatterns: ['/node_modules/(?!(@jupyterlab|@jupyter|@lumino|yjs|lib0|y-protocols|hyparquet|hyparquet-writer|hyparquet-compressors|hysnappy|fzstd)/)'],
  testTimeout: 60000,
  maxWorkers: 2,
};
