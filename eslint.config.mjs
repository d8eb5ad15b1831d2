// Lint for the whole workspace. The module-boundary rule enforces STYLE.md's import rules:
// api/base import nothing internal, xds imports api/base, no app imports another app.
import nx from '@nx/eslint-plugin';

export default [
  { ignores: ['**/dist/**', '**/out-tsc/**', '**/node_modules/**', '**/generated/**', '**/.nx/**', 'tmp/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    ignores: ['**/eslint.config.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'layer:core', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'layer:xds', onlyDependOnLibsWithTags: ['layer:core'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['layer:core', 'layer:xds'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['layer:core', 'layer:xds', 'type:app'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['layer:core', 'layer:xds', 'type:app', 'type:testing'] },
          ],
        },
      ],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports (STYLE.md habit 11).' }],
    },
  },
  {
    files: ['**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  {
    files: ['**/vitest.config.ts', '**/eslint.config.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
];
