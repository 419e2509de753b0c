// Accepting the update prompt in a test. Playwright attaches to every service worker and
// can leave one that Chromium stops and restarts (to deliver the page's SKIP_WAITING
// message) paused at start; a real browser without a debugger starts it by itself. So the
// test wakes the workers through Playwright before the click and keeps doing so until the
// page reloads. A new document (the reload) has a new time origin.
import { expect, type BrowserContext, type Page } from '@playwright/test';

async function wakeWorkers(context: BrowserContext) {
	// An evaluate on a worker paused at start can hang: never wait on one for long.
	const brief = (p: Promise<unknown>) =>
		Promise.race([p.catch(() => 0), new Promise((r) => setTimeout(r, 1000))]);
	await Promise.all(context.serviceWorkers().map((w) => brief(w.evaluate(() => 0))));
}

export async function acceptUpdate(context: BrowserContext, page: Page) {
	const before = await page.evaluate(() => performance.timeOrigin);
	await wakeWorkers(context);
	await page.getByTestId('update-prompt').getByRole('button', { name: '立即更新' }).click();
	await expect
		.poll(
			async () => {
				await wakeWorkers(context);
				return Promise.race([
					page.evaluate(() => performance.timeOrigin).catch(() => before),
					new Promise<number>((r) => setTimeout(() => r(before), 2000))
				]);
			},
			{ timeout: 45_000, intervals: [250, 500, 1000] }
		)
		.not.toBe(before);
	await expect(page.getByTestId('update-prompt')).toHaveCount(0);
	const waiting = await page.evaluate(async () => {
		const reg = await navigator.serviceWorker.getRegistration();
		return !!reg?.waiting;
	});
	expect(waiting).toBe(false);
}
