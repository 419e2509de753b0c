import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The build version names the service worker's precache revision, so it must change
 * whenever the app's sources change, and be the same in every process of one build
 * (SvelteKit loads this file more than once). A content hash is both.
 */
function contentVersion() {
	const hash = createHash('sha256');
	const walk = (dir) => {
		for (const name of readdirSync(dir).sort()) {
			const path = join(dir, name);
			if (statSync(path).isDirectory()) walk(path);
			else hash.update(path).update(readFileSync(path));
		}
	};
	for (const dir of ['src', 'static']) walk(dir);
	hash.update(readFileSync('package-lock.json'));
	return hash.digest('hex').slice(0, 12);
}

// Computed once and handed to the build's child processes through the environment, so
// that an edit during the build cannot give two parts of one build different versions.
process.env.KEHOU_BUILD_VERSION ??= contentVersion();

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: { runes: true },
	kit: {
		// A static SPA: every route falls back to index.html, served by the sync-server.
		adapter: adapter({ fallback: 'index.html', strict: true }),
		// workbox-window registers the worker so that updates wait for the user's consent.
		serviceWorker: { register: false },
		version: { name: process.env.KEHOU_BUILD_VERSION }
	}
};

export default config;
