// Which Chromium the tests drive: KEHOU_CHROMIUM, else Debian's /usr/bin/chromium when
// present, else Playwright's own download (on machines that have one).
import { existsSync } from 'node:fs';
import type { LaunchOptions } from '@playwright/test';

export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];

export function chromiumPath(): string | undefined {
	const fromEnv = process.env.KEHOU_CHROMIUM;
	if (fromEnv) return fromEnv;
	return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined;
}

export function launchOptions(): LaunchOptions {
	const executablePath = chromiumPath();
	return { ...(executablePath ? { executablePath } : {}), args: CHROMIUM_ARGS };
}
