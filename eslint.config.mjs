// @ts-check
import js from '@eslint/js';
import importPlugin from 'eslint-plugin-import';
import tseslint from 'typescript-eslint';
import { sandboxWall } from './scripts/sandbox-wall.mjs';

/** Workflow code outside `workflows/`: the bench's, the tests' and the examples' workflow files. */
const SANDBOX_FILE_PATTERNS = [
  '^examples/([a-z-]+-)?workflows?$',
  '^bench/[a-z-]+-workflows$',
  '^test/support/test-workflows$',
];
const SANDBOX_FILES = [
  'workflows/**/*.ts',
  'examples/*-workflow.ts',
  'examples/workflows.ts',
  'bench/*-workflows.ts',
  'test/support/test-workflows.ts',
];

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
    files: ['scripts/**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { process: 'readonly', console: 'readonly' } },
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
    // The workflow sandbox, walled by folder: workflow code imports at runtime only the sandbox-safe domain folder,
    // other workflow code and Temporal's workflow packages. Everything else of ours only as types.
    files: SANDBOX_FILES,
    plugins: { lro: { rules: { 'sandbox-wall': sandboxWall } } },
    rules: {
      'lro/sandbox-wall': [
        'error',
        {
          zone: 'Workflow code (it runs in the deterministic sandbox)',
          folders: ['workflows', 'src/domain'],
          files: SANDBOX_FILE_PATTERNS,
          packages: ['@temporalio/workflow', '@temporalio/common', 'nexus-rpc', 'temporal-gcp-lro/workflows'],
        },
      ],
    },
  },
  {
    // The other side of the wall: the domain folder is pure, so workflows can import it. No Node built-ins, no other
    // folder of ours at runtime.
    files: ['src/domain/**/*.ts'],
    plugins: { lro: { rules: { 'sandbox-wall': sandboxWall } } },
    rules: {
      'lro/sandbox-wall': [
        'error',
        {
          zone: 'src/domain (sandbox-safe: workflows import it)',
          folders: ['src/domain'],
          packages: ['@temporalio/common', '@temporalio/workflow', 'nexus-rpc'],
        },
      ],
    },
  },
);
