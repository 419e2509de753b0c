import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	build: { chunkSizeWarningLimit: 600 },
	test: {
		include: ['src/**/*.spec.ts', 'sync-server/**/*.spec.ts', 'tests/integration/**/*.spec.ts'],
		environment: 'node',
		testTimeout: 30_000,
		hookTimeout: 30_000,
		// PouchDB's replicator prints this after every first checkpoint lookup; it says nothing.
		onConsoleLog: (log) => !log.includes('The above 404 is totally normal')
	}
});
