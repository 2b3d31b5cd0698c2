// ESLint flat config: recommended JavaScript and TypeScript rules, without type-aware linting
// (no parserOptions.project), so a full run stays fast.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// The Node.js globals the scripts and configs use (kept here rather than depending on `globals`).
const nodeGlobals = Object.fromEntries(
  [
    'AbortController',
    'AbortSignal',
    'Buffer',
    'clearImmediate',
    'clearInterval',
    'clearTimeout',
    'console',
    'fetch',
    'global',
    'globalThis',
    'Headers',
    'process',
    'queueMicrotask',
    'Request',
    'Response',
    'setImmediate',
    'setInterval',
    'setTimeout',
    'structuredClone',
    'TextDecoder',
    'TextEncoder',
    'URL',
    'URLSearchParams',
  ].map((name) => [name, 'readonly']),
);
const commonjsGlobals = { require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', __filename: 'readonly' };

export default defineConfig(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.test-results/**',
      'labextension/lib/**',
      'labextension/labextension/**',
      'labextension/build/**',
      'labextension/e2e/*/build/**',
      'coverage/**',
      '.berth/**',
    ],
  },
  {
    files: ['gateway/src/**/*.ts', 'test/**/*.ts', 'scripts/**/*.{js,mjs,ts}', 'gateway/bin/**/*.js', '*.{js,mjs,cjs}'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: nodeGlobals,
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'warn',
    },
    rules: {
      // Unused arguments and caught errors are fine when prefixed with an underscore.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
    },
  },
  {
    // CommonJS files: jest.config.js and the gateway's bin stub.
    files: ['*.js', '*.cjs', 'gateway/bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...nodeGlobals, ...commonjsGlobals } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Tests run under jest, whose globals ts-jest leaves in place.
    files: ['test/**/*.ts'],
    languageOptions: {
      globals: Object.fromEntries(
        ['describe', 'test', 'it', 'expect', 'beforeAll', 'beforeEach', 'afterAll', 'afterEach', 'jest'].map((name) => [name, 'readonly']),
      ),
    },
  },
);
