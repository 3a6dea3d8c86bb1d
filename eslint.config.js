import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layer boundaries (docs/architecture.md, "Layout"): imports point inward,
// interfaces → runtime → (connectors/kit, store/types) → core. Each layer's rule names what it
// may not import; a connector's folder reaches the rest only through its registry entry.
const rule = (group, message, regex) => ({ 'no-restricted-imports': ['error', { patterns: [{ group, message }, ...(regex ? [{ regex, message }] : [])] }] });
// A sibling folder of a connector's own (`../jira/…` from `connectors/tempo/`), other than the kit.
const SIBLING_CONNECTOR = '^\\.\\./(?!kit/|\\.\\./)[^/]+/';
const outside = (...dirs) => dirs.map((d) => `**/${d}/**`);
const CONCRETE_CONNECTORS = ['**/connectors/*/**', '!**/connectors/kit/**'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/out/', '.timebridge/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The dashboard's browser code (served as is, no build step).
    files: ['src/interfaces/web/assets/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'history', 'fetch', 'EventSource', 'URLSearchParams', 'addEventListener', 'console'].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: rule(
      ['node:fs*', 'node:http*', 'node:net', 'node:child_process', ...outside('store', 'runtime', 'connectors', 'service', 'interfaces', 'app', 'emulators')],
      'core/ is pure: no I/O and nothing of the outer layers',
    ),
  },
  {
    files: ['src/connectors/**/*.ts'],
    ignores: ['src/connectors/registry.ts'],
    rules: rule(
      [...outside('store', 'runtime', 'service', 'interfaces', 'app', 'emulators'), '../registry*'],
      'a connector imports core/ and connectors/kit/ only; the rest reaches it through its registry entry',
      SIBLING_CONNECTOR,
    ),
  },
  {
    files: ['src/connectors/kit/**/*.ts'],
    rules: rule(
      [...outside('store', 'runtime', 'service', 'interfaces', 'app', 'emulators'), '../registry*'],
      'the kit is shared by every connector: it imports core/ only',
      '^\\.\\./(?!\\.\\./)[^/]+/',
    ),
  },
  {
    // The example connector proves a connector needs nothing but the kit and core; its remote is a test server it may not import.
    files: ['test/connectors/example/notes-example/**/*.ts'],
    rules: rule(
      [
        ...outside('store', 'runtime', 'service', 'interfaces', 'app', 'emulators'),
        ...CONCRETE_CONNECTORS,
        '**/connectors/registry*',
        '../notes-*',
        '../../../support/**',
      ],
      'a connector imports core/ and connectors/kit/ only; the rest reaches it through its registry entry',
    ),
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: rule(
      [
        ...outside('service', 'interfaces', 'app', 'emulators'),
        ...CONCRETE_CONNECTORS,
        '**/connectors/registry*',
        '**/store/sqlite/**',
        '**/store/postgres/**',
      ],
      'the runtime sees connectors through the kit and the store through its interface',
    ),
  },
  {
    files: ['src/store/**/*.ts'],
    rules: rule([...outside('runtime', 'service', 'interfaces', 'app', 'emulators', 'connectors')], 'the store depends on core/ only'),
  },
  {
    files: ['src/service/**/*.ts', 'src/app/**/*.ts', 'src/interfaces/**/*.ts'],
    rules: rule(CONCRETE_CONNECTORS, 'outside connectors/, use connectors/kit and the registry, never a connector’s own modules'),
  },
  {
    // After the rule above, which it extends (the last matching block's rule wins). The dashboard is an interface: it reaches the runtime and store like the HTTP routes do, never the CLI.
    files: ['src/interfaces/web/**/*.ts'],
    rules: rule(
      [...CONCRETE_CONNECTORS, '**/interfaces/cli/**', '../cli/**', '**/store/sqlite/**', '**/store/postgres/**', '**/emulators/**'],
      'the dashboard sees the service, the runtime and the store interface; never a connector’s own modules, the CLI, a concrete store or an emulator',
    ),
  },
  {
    files: ['src/emulators/**/*.ts'],
    rules: rule(
      outside('connectors', 'runtime', 'store', 'service', 'app'),
      'an emulator implements the remote API from its contract and shares only emulators/kit, so it can catch a connector’s mistakes',
    ),
  },
);
