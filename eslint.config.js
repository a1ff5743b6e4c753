import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'dist-*/**', 'node_modules/**', 'public/**', 'bench/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Nothing in the app imports the virtual board: it is a test double and never ships.
    files: ['src/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['**/tests/**'] }],
    },
  },
  {
    // The layer rule of ARCHITECTURE.md: device/ and lamp/ run in Node, so no DOM and no Lit.
    files: ['src/device/**', 'src/lamp/**'],
    languageOptions: { globals: { ...globals.es2021 } },
    rules: {
      'no-restricted-imports': ['error', { patterns: ['lit', 'lit/*', '@lit/*', '**/ui/*', '**/tests/**'] }],
      'no-restricted-globals': ['error', 'document', 'window', 'customElements', 'localStorage', 'sessionStorage'],
    },
  },
);
