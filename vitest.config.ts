import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS build for everyone; Vite would hand ESM importers the .mjs
    // build, a second graphql instance ("from another module or realm"). Pin the one Node uses.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Collects every stack's logs and scans them for raw credentials after the whole suite.
    globalSetup: ['test/setup/log-scan.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Suites boot whole stacks; two at a time suits a 2-core machine.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
