/**
 * Tests run as ESM against a real PostgreSQL (test/setup/global-setup.mjs). ts-jest only transpiles;
 * `npm test` type-checks everything with tsc first.
 *
 * content-disposition (required by @fastify/static, which serves Swagger UI's assets) ships as ESM
 * only; Node 20 loads it through require(esm), but jest's module system cannot, so that one package
 * is transpiled to CommonJS for the tests.
 */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/test', '<rootDir>/src'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        useESM: true,
        tsconfig: 'tsconfig.json',
        astTransformers: { before: ['<rootDir>/test/setup/swagger-plugin.cjs'] },
      },
    ],
    'node_modules/content-disposition/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022', esModuleInterop: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  setupFiles: ['<rootDir>/test/setup/cjs-requires-esm.ts'],
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
  testTimeout: 60000,
  maxWorkers: 2,
};
