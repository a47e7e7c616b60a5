// Lint: typescript-eslint's type-checked rules on every TypeScript file, eslint-plugin-svelte's on
// the UI. Formatting is Prettier's (npm run format); nothing here argues with it.
import js from '@eslint/js'
import svelte from 'eslint-plugin-svelte'
import globals from 'globals'
import tseslint from 'typescript-eslint'
import svelteConfig from './svelte.config.mjs'

export default tseslint.config(
  {
    ignores: [
      'out/',
      'scratch/',
      '.native/',
      'dist/',
      'node_modules/',
      'resources/',
      'native/',
      'coverage/',
      'test-results/',
      'playwright-report/',
      'bin/',
      '**/*.mjs',
      '**/*.cjs',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.browser },
      parserOptions: {
        project: ['./tsconfig.json', './tsconfig.web.json', './tsconfig.test.json'],
        extraFileExtensions: ['.svelte'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, svelteConfig } },
  },
  {
    // In markup, typescript-eslint cannot see a child component's prop types, so every callback
    // parameter reads as any; svelte-check (--fail-on-warnings, in npm test) types them instead.
    files: ['**/*.svelte'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    rules: {
      // API handlers and transports are async by contract: a throw in one becomes a rejected
      // promise that dispatch turns into an error reply, whether or not it awaits anything.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // tfjs code states a tensor's rank where it is made (tf.tidy(() => … as tf.Tensor4D));
      // the rule would move it into tidy's type argument, which says the same thing less plainly.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // Tests read the CLI's and the API's JSON answers as they come and assert on them: the
    // assertions are the type check there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
)
