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
  // Packages that ship only ES modules are transformed, the rest of node_modules is not:
  // @jupyterlab/services and its dependencies; hyparquet; @kubernetes/client-node 1.x and the ESM
  // packages it imports (openid-client, which imports oauth4webapi and jose). jsonpath-plus and
  // rfc4648 have CommonJS builds for `require`, so they need none.
  transformIgnorePatterns: [
    '/node_modules/(?!(@jupyterlab|@jupyter|@lumino|yjs|lib0|y-protocols|hyparquet|hyparquet-writer|hyparquet-compressors|hysnappy|fzstd|@kubernetes/client-node|openid-client|oauth4webapi|jose)/)',
  ],
  testTimeout: 60000,
  maxWorkers: 2,
};
