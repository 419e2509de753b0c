// Issue 4, end to end: a teacher's tablet stays offline for a week of afternoons (the
// device clock moves day by day), across reloads and a browser restart, and every mark
// reaches the server exactly once; and a new app version deployed while marks are still
// unsent loses none of them, whether or not they went out before the update was taken.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { calendarDay } from '../../src/lib/domain/calendar';
import type { Term } from '../../src/lib/domain/calendar.schema';
import { addDays } from '../../src/lib/domain/dates';
import { groupDb, schoolDb } from '../../src/lib/domain/databases';
import { foldRoll, schoolDate } from '../../src/lib/domain/roll';
import type { Mark } from '../../src/lib/domain/roll.schema';
import { AppPage, openRoll, RollPage, signedIn } from './pages/app.page';
import { acceptUpdate as acceptUpdateIn } from './support/update';
import { expect, test, type Device } from './support/fixtures';
import { serverDocs, type RunningServer } from './support/server';

const GROUP = 'svc-3-1';
const DB = groupDb('demo', GROUP);
/** The statuses one tap after another gives a marked child, from present (nextStatus). */
const CYCLE = ['present', 'absent', 'leave', 'late'] as const;
type Corrected = Exclude<(typeof CYCLE)[number], 'present'>;

/** What the teacher tapped: marks written per (studentId, date), and the roll shown. */
class Ledger {
	readonly perChildDay = new Map<string, number>();
	readonly shown = new Map<string, Record<string, string>>();
	written = 0;

	add(studentId: string, date: string, marks: number) {
		const key = `${studentId}|${date}`;
		this.perChildDay.set(key, (this.perChildDay.get(key) ?? 0) + marks);
		this.written += marks;
	}
}

/** Takes the day's roll: all present, then some children corrected by tapping. */
async function takeRoll(roll: RollPage, date: string, ledger: Ledger, fixes: Corrected[]) {
	await expect(roll.tiles().first()).toBeVisible();
	const waiting = await roll.indexesWith('unmarked');
	expect(waiting.length).toBeGreaterThanOrEqual(30);
	const ids = await roll
		.tiles()
		.evaluateAll((els) => els.map((e) => e.getAttribute('data-student')));
	await roll.allPresent();
	await roll.expectTally({ unmarked: 0 });
	const present = await roll.indexesWith('present');
	expect(present).toEqual(waiting);
	for (const i of present) ledger.add(ids[i]!, date, 1);
	// Different children each day: start further down the register as the week goes on.
	const offset = ledger.shown.size * 3;
	for (const [k, status] of fixes.entries()) {
		const i = present[offset + k * 5];
		await roll.tapUntil(i, status);
		ledger.add(ids[i]!, date, CYCLE.indexOf(status));
	}
	ledger.shown.set(date, await roll.statuses());
}

/** The roll screen's date line for a date, as the app formats it in Chinese. */
function dateLine(page: Page, date: string) {
	const [y, m, d] = date.split('-').map(Number);
	return page.getByText(new RegExp(`点名考勤 · ${y}年${m}月${d}日`));
}

/** 15:40 in Shanghai on a school date: the afternoon the device clock is set to. */
const afternoon = (date: string) => new Date(`${date}T15:40:00+08:00`);

/**
 * The next school days from today with service for the demo term; plain weekdays when the
 * term has too few left (the roll screen then shows a "no service" note but still works).
 */
async function schoolWeek(server: RunningServer, days: number): Promise<string[]> {
	const today = schoolDate(new Date());
	const term = (await serverDocs(server.url, schoolDb('demo'))).find(
		(d) => d.type === 'term'
	) as unknown as Term;
	const ahead = Array.from({ length: 21 }, (_, i) => addDays(today, i));
	const service = ahead.filter((d) => calendarDay(term, d).service);
	if (service.length >= days) return service.slice(0, days);
	return ahead
		.filter((d) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()))
		.slice(0, days);
}

async function serverMarks(server: RunningServer): Promise<Mark[]> {
	const docs = await serverDocs(server.url, DB);
	return docs.filter((d) => d.type === 'mark') as unknown as Mark[];
}

/** Every mark tapped is on the server once: by id, per child and day, and in the roll. */
async function expectServerHoldsExactly(server: RunningServer, ledger: Ledger) {
	const marks = await serverMarks(server);
	expect(marks).toHaveLength(ledger.written);
	expect(new Set(marks.map((m) => m.id)).size).toBe(ledger.written);
	const perChildDay = new Map<string, number>();
	for (const m of marks) {
		const key = `${m.studentId}|${m.date}`;
		perChildDay.set(key, (perChildDay.get(key) ?? 0) + 1);
	}
	expect(Object.fromEntries(perChildDay)).toEqual(Object.fromEntries(ledger.perChildDay));
	expect(new Set(marks.map((m) => m.author))).toEqual(new Set(['teacher']));
	for (const [date, shown] of ledger.shown) {
		const folded = foldRoll(marks.filter((m) => m.date === date));
		const marked = Object.fromEntries([...folded].map(([id, e]) => [id, e.status]));
		const expected = Object.fromEntries(Object.entries(shown).filter(([id]) => id in marked));
		expect(marked, `roll of ${date}`).toEqual(expected);
		expect(Object.keys(marked).length).toBe(
			[...ledger.perChildDay.keys()].filter((k) => k.endsWith(`|${date}`)).length
		);
	}
}

function firstPage(context: BrowserContext): Promise<Page> {
	return context.pages()[0] ? Promise.resolve(context.pages()[0]) : context.newPage();
}

async function signInAndOpenRoll(device: Device, server: RunningServer) {
	const { page, app } = await signedIn(device.context, server.url, 'teacher', 'kehou-teacher');
	await app.waitForServiceWorker();
	const roll = await openRoll(app, GROUP);
	return { page, app, roll };
}

test('a week offline: every mark reaches the server exactly once', async ({
	server,
	openDevice
}) => {
	const week = await schoolWeek(server, 4);
	const ledger = new Ledger();
	const tablet = await openDevice();
	await tablet.context.clock.install({ time: afternoon(week[0]) });
	await tablet.context.clock.resume();
	let { page, app, roll } = await signInAndOpenRoll(tablet, server);
	await app.expectPending(0);

	await tablet.context.setOffline(true);
	await expect(page.getByTestId('offline-banner')).toBeVisible();

	// Day 1, then a reload the same afternoon: the marks stay on screen and unsent.
	await expect(dateLine(page, week[0])).toBeVisible();
	await takeRoll(roll, week[0], ledger, ['absent', 'leave', 'late']);
	await app.expectPending(ledger.written);
	await page.reload();
	await expect(dateLine(page, week[0])).toBeVisible();
	await expect.poll(() => roll.statuses()).toEqual(ledger.shown.get(week[0]));
	await app.expectPending(ledger.written);

	// Day 2: the device's date moves on; the app, reloaded, opens on a fresh roll.
	await tablet.context.clock.setSystemTime(afternoon(week[1]));
	await page.reload();
	await expect(dateLine(page, week[1])).toBeVisible();
	await takeRoll(roll, week[1], ledger, ['absent', 'late']);
	await app.expectPending(ledger.written);

	// Day 3: the browser was closed overnight and opens again, still offline.
	const context = await tablet.restart({ offline: true });
	await context.clock.install({ time: afternoon(week[2]) });
	await context.clock.resume();
	page = await firstPage(context);
	app = new AppPage(page);
	roll = new RollPage(page);
	await page.goto(`${server.url}/roll/${GROUP}`);
	await expect(dateLine(page, week[2])).toBeVisible();
	await app.expectPending(ledger.written);
	await takeRoll(roll, week[2], ledger, ['leave']);
	await app.expectPending(ledger.written);

	// Day 4: from the home screen to the class, as a teacher would.
	await context.clock.setSystemTime(afternoon(week[3]));
	await page.goto(server.url);
	await app.groupCard(GROUP).click();
	await expect(dateLine(page, week[3])).toBeVisible();
	await takeRoll(roll, week[3], ledger, ['absent', 'leave', 'late', 'absent']);
	await app.expectPending(ledger.written);

	// Nothing has left the tablet all week.
	expect(await serverMarks(server)).toHaveLength(0);

	// The network returns: the week goes out, once.
	await context.setOffline(false);
	await app.expectPending(0);
	await expect(page.getByTestId('last-sync')).toHaveAttribute('data-synced', 'yes');
	await expectServerHoldsExactly(server, ledger);
	expect(await roll.statuses()).toEqual(ledger.shown.get(week[3]));
});

test.describe('a new version deployed while marks are unsent', () => {
	test.use({ serverOptions: { copyBuild: true } });

	/** Deploys "a new build": the service worker's bytes change, the server restarts. */
	async function deployNewBuild(server: RunningServer) {
		await appendFile(join(server.staticDir, 'service-worker.js'), '\n// next release\n');
		await server.restart();
	}

	/** The browser looks for a new worker (as it does on navigation); the prompt shows. */
	async function expectUpdateOffered(page: Page) {
		await page.evaluate(async () => {
			const reg = await navigator.serviceWorker.getRegistration();
			await reg?.update();
		});
		const prompt = page.getByTestId('update-prompt');
		await expect(prompt).toBeVisible();
		await expect(prompt).toContainText('新版本已就绪');
	}

	/** "立即更新", and the reload into the new worker (support/update.ts explains the wake-up). */
	const acceptUpdate = (device: Device, page: Page) => acceptUpdateIn(device.context, page);

	test('back online, the update is taken; no mark is lost or doubled', async ({
		server,
		openDevice
	}) => {
		const tablet = await openDevice();
		const { page, app, roll } = await signInAndOpenRoll(tablet, server);
		const today = schoolDate(new Date());
		const ledger = new Ledger();
		await tablet.context.setOffline(true);
		await takeRoll(roll, today, ledger, ['absent', 'leave', 'late']);
		await app.expectPending(ledger.written);

		await deployNewBuild(server);
		await tablet.context.setOffline(false);
		await expectUpdateOffered(page);
		await acceptUpdate(tablet, page);

		await expect(roll.tiles().first()).toBeVisible();
		await app.expectPending(0);
		await expect(page.getByTestId('last-sync')).toHaveAttribute('data-synced', 'yes');
		await expect.poll(() => roll.statuses()).toEqual(ledger.shown.get(today));
		await expectServerHoldsExactly(server, ledger);
	});

	test('the new version takes over before the marks were sent, then sends them', async ({
		server,
		openDevice
	}) => {
		const tablet = await openDevice();
		const { page, app, roll } = await signInAndOpenRoll(tablet, server);
		const today = schoolDate(new Date());
		const ledger = new Ledger();
		await tablet.context.setOffline(true);
		await takeRoll(roll, today, ledger, ['absent', 'late']);
		await app.expectPending(ledger.written);

		await deployNewBuild(server);
		// The class database stays out of reach (a flaky link to it): the new worker still
		// arrives, the marks cannot go.
		let refused = 0;
		const toGroupDb = (url: URL) => url.pathname.startsWith(`/${DB}/`);
		await tablet.context.route(toGroupDb, async (route) => {
			refused++;
			await route.abort('connectionrefused');
		});
		await tablet.context.setOffline(false);
		await expect.poll(() => refused).toBeGreaterThan(0);
		await expectUpdateOffered(page);
		await app.expectPending(ledger.written);

		await acceptUpdate(tablet, page);
		// The new version finds the old one's outbox whole, and the marks on screen.
		await expect(roll.tiles().first()).toBeVisible();
		await expect.poll(() => roll.statuses()).toEqual(ledger.shown.get(today));
		const refusedBefore = refused;
		await expect.poll(() => refused).toBeGreaterThan(refusedBefore);
		await app.expectPending(ledger.written);
		expect(await serverMarks(server)).toHaveLength(0);

		// The link recovers: the new version sends what the old one wrote, once.
		await tablet.context.unroute(toGroupDb);
		await expect(app.pendingCount()).toHaveAttribute('data-count', '0', { timeout: 30_000 });
		await expect(page.getByTestId('last-sync')).toHaveAttribute('data-synced', 'yes');
		await expectServerHoldsExactly(server, ledger);
	});
});
