// The slice of issue 2, end to end: a teacher takes roll with the network cut, across a
// reload and a browser restart, then the marks reach the server and an administrator.
import { groupDb } from '../../src/lib/domain/databases';
import { AppPage, RollPage, openRoll, signedIn } from './pages/app.page';
import { expect, test } from './support/fixtures';
import { installFetchProbe, installTxProbe, probeLogs } from './support/page-probes';
import { serverDocs } from './support/server';

const GROUP = 'svc-3-1';

test('teacher takes roll offline; it survives reload and restart, then reaches the admin', async ({
	server,
	openDevice
}) => {
	const tablet = await openDevice();
	let page = tablet.context.pages()[0] ?? (await tablet.context.newPage());
	let app = new AppPage(page);

	await page.goto(server.url);
	await expect(page).toHaveURL(/\/sign-in$/);
	await app.signIn('teacher', 'kehou-teacher');
	await expect(app.groupCard(GROUP)).toBeVisible();
	await app.waitForServiceWorker();
	await app.waitForFirstSync();
	await app.groupCard(GROUP).click();

	let roll = new RollPage(page);
	await expect(roll.tiles().first()).toBeVisible();
	const count = await roll.tiles().count();
	expect(count).toBeGreaterThanOrEqual(30);
	// Children with a leave notice for today (from the head teacher) start on leave.
	const onLeave = (await roll.indexesWith('leave')).length;
	const here = count - onLeave;
	await roll.expectTally({ expected: count, present: 0, leave: onLeave, unmarked: here });
	await app.expectPending(0);

	// The network goes; roll call goes on.
	await tablet.context.setOffline(true);
	await expect(page.getByTestId('offline-banner')).toBeVisible();
	await roll.allPresent();
	await roll.expectTally({ present: here, unmarked: 0 });
	const [a, b, c] = await roll.indexesWith('present');
	await roll.tapUntil(a, 'absent');
	await roll.tapUntil(b, 'leave');
	await roll.tapUntil(c, 'late');
	const tally = { present: here - 2, leave: onLeave + 1, absent: 1, unmarked: 0 };
	await roll.expectTally({ expected: count, ...tally });
	const marked = await roll.statuses();
	// all present (one per child here) + 1 + 2 + 3 corrections, none sent yet
	const written = here + 6;
	await app.expectPending(written);

	// A reload while offline: the service worker serves the app, IndexedDB the marks.
	await page.reload();
	await expect(roll.tiles().first()).toBeVisible();
	expect(await roll.statuses()).toEqual(marked);
	await app.expectPending(written);

	// The browser is closed and opened again, still offline.
	const context = await tablet.restart({ offline: true });
	page = context.pages()[0] ?? (await context.newPage());
	app = new AppPage(page);
	roll = new RollPage(page);
	await page.goto(`${server.url}/roll/${GROUP}`);
	await expect(roll.tiles().first()).toBeVisible();
	await expect.poll(() => roll.statuses()).toEqual(marked);
	await roll.expectTally(tally);
	await app.expectPending(written);

	// The sync page lists what waits, each by its kind and its group.
	await page.getByTestId('sync-badge').click();
	const waiting = page.getByTestId('pending-list').locator('li');
	await expect(waiting).toHaveCount(written);
	await expect(waiting.first()).toContainText('点名');
	await expect(waiting.first()).toContainText('三年级1班课后服务');
	const unsentHere = page.locator(`[data-testid=db-unsent][data-db="${groupDb('demo', GROUP)}"]`);
	await expect(unsentHere).toHaveText(String(written));
	await page.goto(`${server.url}/roll/${GROUP}`);
	await expect(roll.tiles().first()).toBeVisible();

	// Nothing has reached the server yet.
	const before = await serverDocs(server.url, groupDb('demo', GROUP));
	expect(before.filter((d) => d.type === 'mark')).toHaveLength(0);

	// The network returns: everything is sent.
	await context.setOffline(false);
	await app.expectPending(0);
	await expect(page.getByTestId('last-sync')).not.toContainText('尚未同步');
	const after = await serverDocs(server.url, groupDb('demo', GROUP));
	const marks = after.filter((d) => d.type === 'mark');
	expect(marks).toHaveLength(written);
	expect(new Set(marks.map((m) => m.author))).toEqual(new Set(['teacher']));

	// An administrator on another browser sees the same roll.
	const office = await openDevice({ viewport: { width: 1440, height: 900 } });
	const adminPage = office.context.pages()[0] ?? (await office.context.newPage());
	const adminApp = new AppPage(adminPage);
	await adminPage.goto(server.url);
	await adminApp.signIn('admin', 'kehou-admin');
	const card = adminApp.groupCard(GROUP);
	await expect(card.getByTestId('tally-absent')).toHaveAttribute('data-value', '1');
	await expect(card.getByTestId('tally-leave')).toHaveAttribute('data-value', String(onLeave + 1));
	await expect(card.getByTestId('tally-present')).toHaveAttribute('data-value', String(here - 2));
	// The absence without a leave notice is on the office's list.
	await expect(
		adminPage.locator('[data-testid=attention-item][data-kind=absent-unexcused]')
	).toHaveCount(1);

	// Live: the teacher changes one more mark; the office's card follows within seconds,
	// told by the one database-updates feed (no longpoll is held for each database).
	const longpolls: string[] = [];
	adminPage.on('request', (r) => {
		if (/\/_changes\?.*feed=longpoll/.test(r.url())) longpolls.push(r.url());
	});
	await roll.tapUntil(a, 'leave');
	marked[(await roll.tile(a).getAttribute('data-student'))!] = 'leave';
	await expect(card.getByTestId('tally-absent')).toHaveAttribute('data-value', '0', {
		timeout: 10_000
	});
	await expect(card.getByTestId('tally-leave')).toHaveAttribute('data-value', String(onLeave + 2));
	expect(longpolls).toEqual([]);

	await card.click();
	const adminRoll = new RollPage(adminPage);
	await expect.poll(() => adminRoll.statuses()).toEqual(marked);
});

// A tap's mark goes into the replica, then the read model, and the screen shows it; the
// replica's live feeds (the projector's, the push's) wait for that before they read the
// new mark and send it (src/lib/db/screen-first.ts). Without the wait they read it in the
// middle of the tap's own read-model transaction and a tap took twice as long to show.
test('a tap is shown before the background reads and sends it, and still reaches the server', async ({
	server,
	openDevice
}) => {
	const tablet = await openDevice();
	await tablet.context.addInitScript(installTxProbe);
	await tablet.context.addInitScript(installFetchProbe);
	const { page, app } = await signedIn(tablet.context, server.url, 'teacher', 'kehou-teacher');
	const roll = await openRoll(app, GROUP);
	const [idx] = await roll.indexesWith('unmarked');
	const student = await roll.tile(idx).getAttribute('data-student');
	const db = groupDb('demo', GROUP);
	const since = await page.evaluate(() => performance.now());
	await roll.tile(idx).click();
	await expect(roll.tile(idx)).toHaveAttribute('data-status', 'present');
	await expect
		.poll(async () =>
			(await serverDocs(server.url, db)).some((d) => d.type === 'mark' && d.studentId === student)
		)
		.toBe(true);

	const { tx: log, sent } = await page.evaluate(probeLogs);
	const after = log.filter((t) => t.start >= since);
	const replica = `_pouch_kehou-replica-${db}`;
	const write = after.find((t) => t.db === replica && t.mode === 'readwrite');
	expect(write, 'the tap wrote the replica').toBeTruthy();
	const shown = after.find(
		(t) => t.db === 'kehou-read-model' && t.mode === 'readwrite' && t.stores.includes('markDays')
	);
	expect(shown, 'the tap wrote the read model').toBeTruthy();
	expect(shown!.done).toBeGreaterThan(write!.done);
	// Every read of the replica after the tap's write began once the read model held it.
	const reads = after.filter(
		(t) => t.db === replica && t.mode === 'readonly' && t.start > write!.done
	);
	expect(reads.length, 'the live feeds read the new mark').toBeGreaterThan(0);
	for (const r of reads) expect(r.start).toBeGreaterThan(shown!.done);
	// And the push went out after that too.
	const pushes = sent.filter(
		(s) => s.at >= since && s.method === 'POST' && s.url.includes(`/${db}/`)
	);
	expect(pushes.length, 'the mark was pushed').toBeGreaterThan(0);
	for (const p of pushes) expect(p.at).toBeGreaterThan(shown!.done);
});
