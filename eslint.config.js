// ESLint for TypeScript (`npm test` runs it): the recommended rules of ESLint and typescript-eslint, nothing
// stylistic (formatting is left to the author). A `_`-prefixed name marks a binding kept on purpose.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'demo-dist/', 'cli-dist/', '.gpu/', 'test-results/', 'test/artifacts/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_',
      }],
    },
  },
  // The plain JavaScript files are Node scripts (the bench runner, install and build helpers, this file).
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
);
