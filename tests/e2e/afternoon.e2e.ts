// A teacher's afternoon on the tablet, offline from start to end (issue 5): roll call with
// a late arrival, a handover to the club, every other child released to an authorised
// adult (one by override), the close rule, the care log; then online, the office and the
// club teacher see it all.
import { groupDb } from '../../src/lib/domain/databases';
import { AppPage, RollPage } from './pages/app.page';
import { expect, test } from './support/fixtures';
import { photoFile } from './support/images';
import { screenshot } from './support/screenshots';
import { serverDocs } from './support/server';

const GROUP = 'svc-3-1';

test('an afternoon offline: roll, handover, releases, close; online the office sees it', async ({
	server,
	openDevice
}) => {
	test.setTimeout(180_000);
	const tablet = await openDevice({ viewport: { width: 1024, height: 768 } });
	const page = tablet.context.pages()[0] ?? (await tablet.context.newPage());
	const app = new AppPage(page);
	await page.goto(server.url);
	await app.signIn('teacher', 'kehou-teacher');
	await app.waitForServiceWorker();
	await app.waitForFirstSync();
	await app.groupCard(GROUP).click();
	const roll = new RollPage(page);
	await expect(roll.tiles().first()).toBeVisible();
	const count = await roll.tiles().count();

	await tablet.context.setOffline(true);
	// Roll: all present, one late.
	await roll.allPresent();
	await roll.tapUntil(2, 'late');
	const late = await roll.tile(2).getAttribute('data-student');

	// Children with a leave notice for today (entered by the head teacher) stay on leave.
	const onLeave = Object.values(await roll.statuses()).filter((s) => s === 'leave').length;
	const here = count - onLeave;
	// Closing is refused while children are still here.
	await expect(page.getByTestId('close-blocked')).toBeVisible();
	await expect(page.getByTestId('blocking-child')).toHaveCount(here);

	// Home time: child 0 goes to the club, child 1 leaves with an adult not on the list.
	await page.getByTestId('mode-release').click();
	const handed = await roll.tile(0).getAttribute('data-student');
	const handedName = (await roll.tile(0).getAttribute('aria-label'))?.split(' ')[0] ?? '';
	await roll.tile(0).click();
	const sheet = page.getByTestId('child-sheet');
	await sheet.locator('[data-testid=handover-to][data-group=club-weiqi]').click();
	await expect(roll.tile(0)).toHaveAttribute('data-status', 'handed-over');

	await roll.tile(1).click();
	await sheet.getByTestId('override-open').click();
	await sheet.getByTestId('override-name').fill('王阿姨');
	await sheet.getByTestId('override-note').fill('妈妈来电确认，由邻居代接');
	await sheet.getByTestId('override-submit').click();
	await expect(roll.tile(1)).toHaveAttribute('data-status', 'released');
	await expect(roll.tile(1).getByTestId('child-flag')).toBeVisible();

	// Everyone else still here goes home with the first authorised adult on file.
	for (let i = 2; i < count; i++) {
		const status = await roll.tile(i).getAttribute('data-status');
		if (status !== 'present' && status !== 'late') continue;
		await roll.tile(i).click();
		await sheet.getByTestId('release-to').first().click();
		await expect(roll.tile(i)).toHaveAttribute('data-status', 'released');
	}
	await roll.expectTally({
		expected: count,
		present: here,
		gone: here,
		leave: onLeave,
		unmarked: 0
	});

	// Now the session may close: the care log ends it. A line per child who was here,
	// homework done unless changed; one child only partly done, with a note; a photo.
	await expect(page.getByTestId('close-blocked')).toHaveCount(0);
	const careLog = page.getByTestId('care-log-form');
	await expect(careLog.getByTestId('care-line')).toHaveCount(here);
	const line = careLog.getByTestId('care-line').nth(2);
	await line.getByTestId('homework').click();
	await expect(line.getByTestId('homework')).toHaveAttribute('data-state', 'partial');
	await line.getByTestId('child-note-open').click();
	await line.getByTestId('child-note').fill('口算练习还差一页');
	await careLog.getByTestId('photo-input').setInputFiles(photoFile());
	await expect(careLog.getByTestId('photo-thumb')).toHaveCount(1);
	await screenshot(page, 'tests/.artifacts/screens/care-log-tablet-landscape-zh-CN.png', true);
	await page.getByTestId('care-log-submit').click();
	await expect(page.getByTestId('session-closed')).toBeVisible();
	// marks: one per child here + 3 re-taps to reach late; releases here-1; handover; care log
	const written = here + 3 + (here - 1) + 1 + 1;
	await app.expectPending(written);

	// A reload offline keeps it all.
	await page.reload();
	await expect(page.getByTestId('session-closed')).toBeVisible();

	// An amendment after closing is a new care log with a reason; lines and photo carry over.
	await page.getByTestId('care-log-amend').click();
	await expect(careLog.getByTestId('photo-thumb')).toHaveCount(1);
	await expect(careLog.getByTestId('child-note')).toHaveValue('口算练习还差一页');
	await careLog.locator('textarea').last().fill('下雨，提醒家长带伞');
	await careLog.getByTestId('amend-reason').fill('补记备注');
	await page.getByTestId('care-log-submit').click();
	const summary = page.getByTestId('care-log-summary');
	await expect(summary.getByTestId('amended')).toContainText('补记备注');
	await expect(summary).toContainText('下雨，提醒家长带伞');
	await app.expectPending(written + 1);

	// Online: every record reaches the server.
	await tablet.context.setOffline(false);
	await app.expectPending(0);
	const docs = await serverDocs(server.url, groupDb('demo', GROUP));
	const of = (type: string) => docs.filter((d) => d.type === type);
	expect(of('release')).toHaveLength(here - 1);
	expect(of('release').filter((r) => r.override)).toHaveLength(1);
	expect(of('handover')).toHaveLength(1);
	expect(of('care-log')).toHaveLength(2);
	const [log] = of('care-log').filter((d) => d.supersedes) as Array<{
		children: { homework: string; note?: string }[];
		photos: string[];
		_attachments: Record<string, { content_type: string; length: number }>;
	}>;
	expect(log.children).toHaveLength(here);
	expect(log.children.filter((c) => c.homework === 'partial' && c.note)).toHaveLength(1);
	expect(log.photos).toEqual(['photo-1.jpg']);
	expect(log._attachments['photo-1.jpg'].content_type).toBe('image/jpeg');
	expect(log._attachments['photo-1.jpg'].length).toBeLessThanOrEqual(400 * 1024);
	expect(of('mark').filter((m) => m.studentId === late && m.status === 'late')).toHaveLength(1);

	// The handover reached the club's database (mirrored by the server).
	const club = await serverDocs(server.url, groupDb('demo', 'club-weiqi'));
	expect(club.filter((d) => d.type === 'handover')).toHaveLength(1);

	// The office sees the closed session with its tallies.
	const office = await openDevice({ viewport: { width: 1440, height: 900 } });
	const adminPage = office.context.pages()[0] ?? (await office.context.newPage());
	const adminApp = new AppPage(adminPage);
	await adminPage.goto(server.url);
	await adminApp.signIn('admin', 'kehou-admin');
	const card = adminApp.groupCard(GROUP);
	// The office follows every database of the school over the browser's six connections
	// per origin, and a pulled photo takes a request of its own: allow the first sync time.
	await expect(card.getByTestId('tally-gone')).toHaveAttribute('data-value', String(here), {
		timeout: 60_000
	});
	await expect(card.getByText('今日已完成')).toBeVisible();
	// The override is flagged for the office.
	await expect(
		adminPage.locator('[data-testid=attention-item][data-kind=release-override]')
	).toHaveCount(1);
	// The office reads the care log, its photo from its own replica.
	await card.click();
	const seen = adminPage.getByTestId('care-log-summary');
	await expect(seen).toContainText('口算练习还差一页');
	await expect(seen).toContainText('下雨，提醒家长带伞');
	const photo = seen.getByTestId('stored-photo');
	await expect(photo).toBeVisible();
	await expect
		.poll(() => photo.evaluate((i: HTMLImageElement) => (i.complete ? i.naturalWidth : 0)))
		.toBeGreaterThan(0);

	// The club teacher, on another tablet, sees the child coming and confirms the arrival;
	// the confirmation reaches the service class's database too.
	const clubTablet = await openDevice();
	const clubPage = clubTablet.context.pages()[0] ?? (await clubTablet.context.newPage());
	const clubApp = new AppPage(clubPage);
	await clubPage.goto(server.url);
	await clubApp.signIn('club', 'kehou-club');
	await clubApp.waitForFirstSync();
	await clubApp.groupCard('club-weiqi').click();
	const arriving = clubPage.locator(`[data-testid=student-tile][data-student="${handed}"]`);
	await expect(arriving.getByTestId('child-flag')).toBeVisible();
	// Named, even where the club holds no card for the child.
	await expect(arriving).toContainText(handedName);
	await arriving.click();
	await expect(arriving).toHaveAttribute('data-status', 'present');
	await new AppPage(clubPage).expectPending(0);
	await expect
		.poll(async () =>
			(await serverDocs(server.url, groupDb('demo', GROUP))).filter(
				(d) => d.type === 'arrival' && d.studentId === handed
			)
		)
		.toHaveLength(1);
});

test('after the end time, children still here are listed prominently, never signed out', async ({
	server,
	openDevice
}) => {
	const tablet = await openDevice();
	const context = tablet.context;
	// 17:45 in Shanghai today: after the demo term's 17:30 end.
	const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
	await context.clock.install({ time: new Date(`${today}T17:45:00+08:00`) });
	await context.clock.resume();
	const page = context.pages()[0] ?? (await context.newPage());
	const app = new AppPage(page);
	await page.goto(server.url);
	await app.signIn('teacher', 'kehou-teacher');
	await app.waitForFirstSync();
	await app.groupCard(GROUP).click();
	const roll = new RollPage(page);
	await expect(roll.tiles().first()).toBeVisible();
	await expect(page.getByTestId('overdue')).toHaveCount(0);
	await roll.allPresent();
	await roll.expectTally({ unmarked: 0 });
	const here = (await roll.indexesWith('present')).length;
	await expect(page.getByTestId('overdue')).toContainText(`仍有 ${here} 名学生未离校`);
	// Releasing one shortens the list; nobody is released by the clock.
	await page.getByTestId('mode-release').click();
	const [first] = await roll.indexesWith('present');
	await roll.tile(first).click();
	await page.getByTestId('child-sheet').getByTestId('release-to').first().click();
	await expect(page.getByTestId('overdue')).toContainText(`仍有 ${here - 1} 名学生未离校`);
	expect((await roll.indexesWith('present')).length).toBe(here - 1);
});
