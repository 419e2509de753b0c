// The installable shell: it opens with the server gone, offers a new version and waits
// for consent, and says clearly what went wrong at sign-in.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppPage, RollPage } from './pages/app.page';
import { expect, test } from './support/fixtures';
import { acceptUpdate } from './support/update';

test('the app and its data load with the server stopped', async ({ server, openDevice }) => {
	const tablet = await openDevice();
	const page = tablet.context.pages()[0] ?? (await tablet.context.newPage());
	const app = new AppPage(page);
	await page.goto(server.url);
	await app.signIn('teacher', 'kehou-teacher');
	await expect(app.groupCard('svc-3-1')).toBeVisible();
	await app.waitForServiceWorker();
	await app.waitForFirstSync();
	// The service worker serves the shell to navigations only: the server's CouchDB welcome
	// (which PouchDB reads for the replication's id) still comes from the server.
	const welcome = await page.evaluate(async () => {
		const res = await fetch('/', { headers: { Accept: 'application/json' } });
		return { type: res.headers.get('content-type'), body: await res.text() };
	});
	expect(welcome.type).toMatch(/^application\/json/);
	expect(JSON.parse(welcome.body)).toMatchObject({ couchdb: 'Welcome' });
	await app.groupCard('svc-3-1').click();
	const roll = new RollPage(page);
	await expect(roll.tiles().first()).toBeVisible();
	const count = await roll.tiles().count();

	await server.stop();
	// A deep link, straight from the service worker's cache.
	await page.goto(`${server.url}/roll/svc-3-1`);
	await expect(roll.tiles()).toHaveCount(count);
	const here = count - (await roll.indexesWith('leave')).length;
	await roll.allPresent();
	await roll.expectTally({ present: here, unmarked: 0 });
	await app.expectPending(here);
	await expect(page.getByTestId('last-sync')).toBeVisible();
});

test.describe('updates', () => {
	test.use({ serverOptions: { copyBuild: true } });
	// Playwright attaches to every service worker and, rarely, leaves the one Chromium
	// restarts to deliver SKIP_WAITING paused for good (support/update.ts wakes it, which
	// works almost always: one miss in this project's CI so far, none in 8 repeated local
	// runs, and a browser without a debugger never pauses it). One retry keeps that quirk of
	// the harness from failing the suite; a real failure fails both attempts.
	test.describe.configure({ retries: 1 });

	test('a new version is offered and taken only when the user agrees', async ({
		server,
		openDevice
	}) => {
		const device = await openDevice();
		const page = device.context.pages()[0] ?? (await device.context.newPage());
		const app = new AppPage(page);
		await page.goto(server.url);
		await app.signIn('teacher', 'kehou-teacher');
		await expect(app.groupCard('svc-3-1')).toBeVisible();
		await app.waitForServiceWorker();
		await expect(page.getByTestId('update-prompt')).toHaveCount(0);

		// Deploy "a new build": the service worker's bytes change.
		await appendFile(join(server.staticDir, 'service-worker.js'), '\n// next release\n');
		await server.restart();
		await page.evaluate(async () => {
			const reg = await navigator.serviceWorker.getRegistration();
			await reg?.update();
		});
		const prompt = page.getByTestId('update-prompt');
		await expect(prompt).toBeVisible();
		await expect(prompt).toContainText('新版本已就绪');

		// Agreeing reloads into the new worker.
		await acceptUpdate(device.context, page);
		await expect(app.groupCard('svc-3-1')).toBeVisible();
		await expect(prompt).toHaveCount(0);
	});

	test('"later" keeps the running version, and the new one is offered again', async ({
		server,
		openDevice
	}) => {
		const device = await openDevice();
		const page = device.context.pages()[0] ?? (await device.context.newPage());
		const app = new AppPage(page);
		await page.goto(server.url);
		await app.signIn('teacher', 'kehou-teacher');
		await expect(app.groupCard('svc-3-1')).toBeVisible();
		await app.waitForServiceWorker();
		await appendFile(join(server.staticDir, 'service-worker.js'), '\n// next release\n');
		await server.restart();
		await page.evaluate(async () => {
			const reg = await navigator.serviceWorker.getRegistration();
			await reg?.update();
		});
		const prompt = page.getByTestId('update-prompt');
		await expect(prompt).toBeVisible();
		const controllerBefore = await page.evaluate(
			() => navigator.serviceWorker.controller?.scriptURL
		);

		await prompt.getByRole('button', { name: '稍后' }).click();
		await expect(prompt).toHaveCount(0);
		await page.reload();
		// Still the old worker in control, the new one waiting and offered again. (Accepting
		// on such a page is left to the week-offline tests: there the waiting worker has just
		// installed; here Chromium has stopped it, and under Playwright's debugger a stopped
		// worker can stay paused when restarted — a harness effect, see support/update.ts.)
		await expect(prompt).toBeVisible();
		const state = await page.evaluate(async () => {
			const reg = await navigator.serviceWorker.getRegistration();
			return { waiting: !!reg?.waiting, controller: navigator.serviceWorker.controller?.scriptURL };
		});
		expect(state).toEqual({ waiting: true, controller: controllerBefore });
	});
});

test.describe('sign-in errors', () => {
	test('wrong password, in Chinese and in English', async ({ server, openDevice }) => {
		const device = await openDevice();
		const page = device.context.pages()[0] ?? (await device.context.newPage());
		const app = new AppPage(page);
		await page.goto(server.url);
		await app.signIn('teacher', 'not-the-password');
		await expect(page.getByTestId('sign-in-error')).toHaveText('用户名或密码错误。');
		await page.getByTestId('lang-toggle').click();
		await app.signIn('teacher', 'still-wrong');
		await expect(page.getByTestId('sign-in-error')).toHaveText('Wrong user name or password.');
		// The choice of language is remembered on the device.
		await page.reload();
		await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign in');
	});

	test('server down at first sign-in', async ({ server, openDevice }) => {
		const device = await openDevice();
		const page = device.context.pages()[0] ?? (await device.context.newPage());
		await page.goto(server.url);
		await expect(page.getByRole('heading', { level: 1 })).toHaveText('登录');
		await device.context.setOffline(true);
		await new AppPage(page).signIn('teacher', 'kehou-teacher');
		await expect(page.getByTestId('sign-in-error')).toContainText('无法连接服务器');
	});
});

test('an expired session asks to sign in again and loses no mark', async ({
	server,
	openDevice
}) => {
	const tablet = await openDevice();
	const page = tablet.context.pages()[0] ?? (await tablet.context.newPage());
	const app = new AppPage(page);
	await page.goto(server.url);
	await app.signIn('teacher', 'kehou-teacher');
	await app.groupCard('svc-3-1').click();
	const roll = new RollPage(page);
	await expect(roll.tiles().first()).toBeVisible();

	await tablet.context.setOffline(true);
	await roll.tapUntil(0, 'present');
	await app.expectPending(1);
	// The server forgets the session (revoked or expired) while the tablet is offline.
	await tablet.context.request.delete(`${server.url}/_session`);
	await tablet.context.setOffline(false);

	await expect(page.getByTestId('sign-in-again')).toBeVisible();
	await app.expectPending(1);
	await page.getByTestId('sign-in-again').getByRole('link').click();
	await app.signIn('teacher', 'kehou-teacher');
	await expect(app.groupCard('svc-3-1')).toBeVisible();
	await app.expectPending(0);
});
