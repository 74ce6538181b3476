import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

// Module boundaries: the pure core imports no I/O; adapters wrap the outside world; apps
// only compose. `@nx/enforce-module-boundaries` turns a wrong import into a lint error.
const ioPackages = ['@grpc/grpc-js', 'prom-client', '@kubernetes/client-node', '@tensorflow/*', 'pino'];
// Node built-ins are not in nx's project graph, so plain ESLint bans them in the pure core.
const ioBuiltins = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'http2', 'dgram', 'worker_threads'].flatMap(
  (m) => [m, `node:${m}`],
);

// What apps and cross-project tests may import: every library, no app.
const everyLibrary = [
  'type:pure',
  'type:adapter',
  'type:tensor',
  'type:service',
  'type:driver',
  'type:local',
  'type:kube',
];

export default [
  { ignores: ['**/dist/**', '**/node_modules/**', '**/src/gen/**'] },
  ...tseslint.configs.recommended,
  // Prettier owns the layout (npm run format); ESLint keeps to what it means.
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Prettier wraps code at 120; this holds strings and comments to it too.
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      // More than four parameters: take an object.
      'max-params': ['error', 4],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            // The science and the cluster's pure rules: no I/O, no other layer.
            { sourceTag: 'type:pure', onlyDependOnLibsWithTags: ['type:pure'], bannedExternalImports: ioPackages },
            {
              sourceTag: 'type:adapter',
              onlyDependOnLibsWithTags: ['type:pure', 'type:adapter'],
              bannedExternalImports: ['@tensorflow/*'],
            },
            {
              sourceTag: 'type:tensor',
              onlyDependOnLibsWithTags: ['type:pure'],
              bannedExternalImports: ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', '@grpc/grpc-js'],
            },
            {
              sourceTag: 'type:service',
              onlyDependOnLibsWithTags: ['type:pure', 'type:adapter', 'type:tensor', 'type:service'],
            },
            // The driver talks to the services and the store; it never trains itself.
            {
              sourceTag: 'type:driver',
              onlyDependOnLibsWithTags: ['type:pure', 'type:adapter'],
              bannedExternalImports: ['@tensorflow/*', '@kubernetes/client-node'],
            },
            // The two executors of the planner: neither knows the other.
            {
              sourceTag: 'type:local',
              onlyDependOnLibsWithTags: ['type:pure', 'type:adapter', 'type:driver'],
              bannedExternalImports: ['@tensorflow/*', '@kubernetes/client-node'],
            },
            {
              sourceTag: 'type:kube',
              onlyDependOnLibsWithTags: ['type:pure', 'type:adapter', 'type:driver'],
              bannedExternalImports: ['@tensorflow/*'],
            },
            // Apps wire libraries; nothing imports an app.
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: everyLibrary,
            },
            {
              sourceTag: 'type:test',
              onlyDependOnLibsWithTags: everyLibrary,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['libs/core/**/*.ts', 'libs/kube-core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ioBuiltins.map((name) => ({ name, message: 'the pure core does no I/O: take it as a parameter' })) },
      ],
    },
  },
];
