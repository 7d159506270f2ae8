// @ts-check
import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.temporal/**', 'test-artifacts/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { import: importPlugin },
    settings: { 'import/resolver': { node: { extensions: ['.ts', '.js'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import/no-cycle': 'error',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        process: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The workflow sandbox: deterministic code only. No Node built-ins, no runtime imports of activities or
    // of the Node-side modules in src/ (types are fine).
    files: ['workflows/**/*.ts', 'test/support/test-workflows.ts', 'bench/*-workflows.ts', 'examples/*-workflow.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code runs in a sandbox: no Node built-ins.' })),
          patterns: [
            {
              group: ['../activities', '../activities/*'],
              allowTypeImports: true,
              message: 'Workflows may import only types from activities/.',
            },
            {
              group: [
                '../src/operations-client',
                '../src/google-auth',
                '../src/http-dispatcher',
                '../src/activity-deps',
                '../src/worker',
                '../src/client',
                '../src/search-attribute-registration',
                '../src/testing/*',
                'undici',
                'google-auth-library',
                '@temporalio/worker',
                '@temporalio/client',
                '@temporalio/activity',
              ],
              allowTypeImports: true,
              message: 'Node-side code stays out of the workflow sandbox.',
            },
          ],
        },
      ],
    },
  },
);
