import { defineConfig } from '@playwright/test';

// End-to-end tests drive the built app (run `npm run build` first) in Chromium against
// the real sync-server, which each test starts itself on a free loopback port.
export default defineConfig({
	testDir: './e2e',
	testMatch: '**/*.e2e.ts',
	outputDir: './.artifacts/results',
	fullyParallel: false,
	workers: process.env.CI ? 2 : 2,
	retries: 0,
	timeout: 90_000,
	expect: { timeout: 15_000 },
	forbidOnly: !!process.env.CI,
	reporter: [['list']],
	use: { trace: 'retain-on-failure' }
});
