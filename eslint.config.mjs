import nextVitals from 'eslint-config-next/core-web-vitals';
import nextTypescript from 'eslint-config-next/typescript';

const config = [
  ...nextVitals,
  ...nextTypescript,
  {
    ignores: ['.next/**', '.next-*/**', '.data/**', 'generated/**', 'node_modules/**', 'next-env.d.ts', 'test-results/**', '.stryker-tmp/**', 'reports/**'],
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // One module reads the environment; everything else asks it (STYLE.md #4).
    files: ['app/**', 'modules/**', 'proxy.ts'],
    ignores: ['modules/cores/env/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through modules/cores/env.' },
      ],
    },
  },
];

export default config;
