// Lint for the whole workspace. The module-boundary rule enforces STYLE.md's import rules:
// api/base import nothing internal, xds imports api/base, no app imports another app.
import nx from '@nx/eslint-plugin';

// Tags (set in each package.json "nx.tags"): layer:core = api, base; layer:xds = xds;
// type:app = the components and ctl; type:testing = @weft/testing; type:e2e = e2e.
// Tests (and only tests) of any package may also use @weft/testing.
function boundaries(inTests) {
  const testing = inTests ? ['type:testing'] : [];
  return {
    enforceBuildableLibDependency: true,
    allow: [],
    depConstraints: [
      { sourceTag: 'layer:core', onlyDependOnLibsWithTags: [] },
      { sourceTag: 'layer:xds', onlyDependOnLibsWithTags: ['layer:core', ...testing] },
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['layer:core', 'layer:xds', ...testing] },
      { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['layer:core', 'layer:xds'] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['layer:core', 'layer:xds', 'type:app', 'type:testing'] },
    ],
  };
}

export default [
  { ignores: ['**/dist/**', '**/out-tsc/**', '**/node_modules/**', '**/generated/**', '**/.nx/**', 'tmp/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.mts', '**/*.js', '**/*.mjs'],
    ignores: ['**/eslint.config.mjs'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', boundaries(false)],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports (STYLE.md habit 11).' }],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': ['error', boundaries(true)] },
  },
  {
    files: ['**/*.ts'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  {
    files: ['**/vitest.config.ts', '**/vitest.*.config.ts', '**/eslint.config.mjs'],
    rules: { 'no-restricted-syntax': 'off' },
  },
];
