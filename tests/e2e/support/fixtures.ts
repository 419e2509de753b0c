// Playwright fixtures: a fresh sync-server per test and browser contexts on their own
// profiles (persistent, so that a "browser restart" reopens the same IndexedDB).
import { test as base, chromium, type BrowserContext } from '@playwright/test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchOptions } from './browser';
import { removeDir, startServer, type RunningServer, type ServerOptions } from './server';

export interface Device {
	profileDir: string;
	context: BrowserContext;
	/** Closes the browser and opens it again on the same profile. */
	restart(opts?: { offline?: boolean }): Promise<BrowserContext>;
}

interface Fixtures {
	serverOptions: ServerOptions;
	server: RunningServer;
	openDevice: (opts?: {
		viewport?: { width: number; height: number };
		locale?: string;
	}) => Promise<Device>;
}

export const test = base.extend<Fixtures>({
	serverOptions: [{}, { option: true }],
	server: async ({ serverOptions }, use) => {
		const server = await startServer(serverOptions);
		await use(server);
		await server.stop();
		await removeDir(server.dataDir);
		if (serverOptions.copyBuild) await removeDir(server.staticDir);
	},
	// Playwright needs an object pattern here even when no other fixture is used.
	// eslint-disable-next-line no-empty-pattern
	openDevice: async ({}, use) => {
		const devices: Device[] = [];
		const profiles: string[] = [];
		await use(async (opts = {}) => {
			const profileDir = await mkdtemp(join(tmpdir(), 'kehou-e2e-profile-'));
			profiles.push(profileDir);
			const launch = () =>
				chromium.launchPersistentContext(profileDir, {
					...launchOptions(),
					viewport: opts.viewport ?? { width: 1024, height: 768 },
					locale: opts.locale ?? 'zh-CN',
					timezoneId: 'Asia/Shanghai'
				});
			const device: Device = {
				profileDir,
				context: await launch(),
				restart: async ({ offline = false } = {}) => {
					await device.context.close();
					device.context = await launch();
					if (offline) await device.context.setOffline(true);
					return device.context;
				}
			};
			devices.push(device);
			return device;
		});
		for (const d of devices) await d.context.close().catch(() => undefined);
		for (const p of profiles) await removeDir(p);
	}
});

export { expect } from '@playwright/test';
