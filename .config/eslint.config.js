import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from '../svelte.config.js';

/** Layer rules (CONVENTIONS.md): routes → features → (db, sync, ui, i18n) → domain. */
const restrict = (patterns) => ({
	'no-restricted-imports': ['error', { patterns }]
});
const upper = (...names) =>
	names.map((n) => ({
		group: [`$lib/${n}`, `$lib/${n}/*`, `**/lib/${n}`, `**/lib/${n}/*`, `../${n}`, `../${n}/*`],
		message: `This layer may not import ${n} (see CONVENTIONS.md).`
	}));
const infra = [
	{
		group: ['dexie', 'pouchdb-*', 'pouchdb'],
		message: 'Only src/lib/db (and the sync-server) may import dexie or pouchdb.'
	}
];

export default ts.config(
	{
		ignores: [
			'build/',
			'sync-server/dist/',
			'.svelte-kit/',
			'node_modules/',
			'data/',
			'test-results/',
			'playwright-report/',
			'tests/.artifacts/'
		]
	},
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	{
		languageOptions: {
			globals: { ...globals.browser, ...globals.node },
			parserOptions: {
				projectService: {
					allowDefaultProject: ['*.js', '*.ts', '.config/*.js', 'src/service-worker.ts']
				},
				tsconfigRootDir: new URL('..', import.meta.url).pathname,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		},
		rules: {
			'@typescript-eslint/no-floating-promises': 'error',
			'@typescript-eslint/no-misused-promises': 'error',
			'@typescript-eslint/await-thenable': 'error',
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
			'svelte/no-navigation-without-resolve': 'off'
		}
	},
	{
		files: ['src/lib/domain/**'],
		rules: restrict([
			...upper('db', 'sync', 'features', 'ui', 'i18n'),
			...infra,
			{ group: ['svelte', 'svelte/*', '$app/*'], message: 'The domain is framework-free.' }
		])
	},
	{ files: ['src/lib/ui/**'], rules: restrict([...upper('db', 'sync', 'features'), ...infra]) },
	{
		files: ['src/lib/i18n/**'],
		rules: restrict([...upper('db', 'sync', 'features', 'ui'), ...infra])
	},
	{ files: ['src/lib/db/**'], rules: restrict(upper('sync', 'features', 'ui')) },
	{ files: ['src/lib/sync/**'], rules: restrict([...upper('features', 'ui'), ...infra]) },
	{ files: ['src/lib/features/**'], rules: restrict(infra) },
	{ files: ['src/routes/**'], rules: restrict(infra) },
	{
		files: ['sync-server/**'],
		rules: restrict([
			{
				group: [
					'**/src/lib/db/*',
					'**/src/lib/sync/*',
					'**/src/lib/features/*',
					'**/src/lib/ui/*',
					'**/src/routes/*',
					'$lib/*'
				],
				message: 'The sync-server imports src/lib/domain and nothing else from src/.'
			}
		])
	}
);
