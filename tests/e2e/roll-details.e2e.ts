// The roll beyond one tap (issue 5), offline on a tablet: finding a child by pinyin
// initials, a late arrival at a given time, a correction that must say why and shows in
// the child's history, and a child who is not on the list; then extended care (延时托管)
// after the end time, received by the extended-care teacher on another tablet; and a child
// handed to the club and back.
import { groupDb } from '../../src/lib/domain/databases';
import { loadRomanise, matchesQuery, searchKey } from '../../src/lib/features/roll-call/search';
import { openRoll, signedIn, timeField } from './pages/app.page';
import { expect, test } from './support/fixtures';
import { serverDocs } from './support/server';

const GROUP = 'svc-3-1';
const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
const at = (time: string) => new Date(`${today}T${time}:00+08:00`);

test('offline: search by pinyin, a late time, a correction with its history, a child off the list', async ({
	server,
	openDevice
}) => {
	test.setTimeout(150_000);
	const tablet = await openDevice({ viewport: { width: 1024, height: 768 } });
	await tablet.context.clock.install({ time: at('15:40') });
	await tablet.context.clock.resume();
	const { page, app } = await signedIn(tablet.context, server.url, 'teacher', 'kehou-teacher');
	const roll = await openRoll(app, GROUP);
	const count = await roll.tiles().count();
	await tablet.context.setOffline(true);

	// Search: the initials of one child's name find that child and only the matching ones.
	const names = await roll
		.tiles()
		.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')!.split(' ')[0]));
	const romanise = await loadRomanise();
	const target = names[5];
	const initials = romanise(target)
		.map((s) => s[0])
		.join('');
	const matching = names.filter((n) =>
		matchesQuery(searchKey({ studentId: n, name: n }, romanise), initials)
	);
	const search = page.getByTestId('roll-search');
	await search.fill(initials);
	await expect(roll.tiles()).toHaveCount(matching.length);
	await expect(roll.tiles().filter({ hasText: target })).toHaveCount(1);
	expect(matching.length).toBeLessThan(count);
	await search.fill('不在这个班');
	await expect(page.getByTestId('search-none')).toBeVisible();
	await expect(roll.tiles()).toHaveCount(0);
	await search.fill('');
	await expect(roll.tiles()).toHaveCount(count);

	// A late arrival at a given time; a time in the future is refused.
	const [idx] = await roll.indexesWith('unmarked');
	const child = (await roll.tile(idx).getAttribute('data-student'))!;
	const details = page.locator(`li:has([data-student="${child}"]) [data-testid=child-details]`);
	const sheet = page.getByTestId('child-sheet');
	await details.click();
	await sheet.locator('[data-testid=mark-choice][data-status=late]').click();
	const lateAt = sheet.getByTestId('late-time');
	await expect.poll(() => timeField.value(lateAt)).toBe('15:40');
	await timeField.set(lateAt, '16:30');
	await sheet.getByTestId('mark-save').click();
	await expect(sheet.getByRole('alert')).toHaveText('到校时间不能晚于现在。');
	await timeField.set(lateAt, '15:35');
	await sheet.getByTestId('mark-save').click();
	await expect(sheet).toBeHidden();
	await expect(roll.tile(idx)).toHaveAttribute('data-status', 'late');

	// A correction needs a reason; the history keeps both marks, the first struck out.
	await details.click();
	await expect(sheet.getByTestId('child-history')).toContainText('（15:35 到校）');
	await sheet.locator('[data-testid=mark-choice][data-status=absent]').click();
	await sheet.getByTestId('mark-save').click();
	// The required reason stops the save.
	const reason = sheet.getByTestId('mark-reason');
	expect(await reason.evaluate((e: HTMLInputElement) => e.validity.valueMissing)).toBe(true);
	await expect(roll.tile(idx)).toHaveAttribute('data-status', 'late');
	await sheet.getByTestId('mark-reason').fill('看错了人，其实没来');
	await sheet.getByTestId('mark-save').click();
	await expect(roll.tile(idx)).toHaveAttribute('data-status', 'absent');
	await details.click();
	const lines = sheet.getByTestId('child-history').locator('li');
	await expect(lines).toHaveCount(2);
	await expect(lines.nth(0)).toHaveClass(/superseded/);
	await expect(lines.nth(1)).toContainText('点名：缺勤');
	await expect(lines.nth(1)).toContainText('更正');
	await expect(lines.nth(1)).toContainText('原因：看错了人，其实没来');
	await expect(lines.nth(1)).toContainText('林晓燕');
	await page.keyboard.press('Escape');
	await expect(sheet).toBeHidden();

	// A child who is not on the list: recorded with a reason, then on the sheet like the others.
	await page.getByTestId('add-unlisted').click();
	const form = page.getByTestId('unlisted');
	await form.getByTestId('unlisted-name').fill('王小禾');
	await form.getByTestId('unlisted-class').fill('二(3)班');
	await form.getByTestId('unlisted-reason').fill('家长临时送来，班主任电话告知');
	await form.getByTestId('unlisted-submit').click();
	await expect(form).toBeHidden();
	await expect(roll.tiles()).toHaveCount(count + 1);
	const walkIn = roll.tiles().filter({ hasText: '王小禾' });
	await expect(walkIn).toHaveAttribute('data-status', 'present');
	await expect(walkIn.getByTestId('child-flag')).toHaveText('⚠ 不在名单中');

	// Offline reload: everything is still there.
	await page.reload();
	await expect(roll.tiles()).toHaveCount(count + 1);
	await expect(roll.tile(idx)).toHaveAttribute('data-status', 'absent');
	await expect(roll.tiles().filter({ hasText: '王小禾' })).toHaveCount(1);

	// Back online: the server holds the late mark with its time, the correction with its
	// reason, and the child taken in off the list.
	await tablet.context.setOffline(false);
	await app.expectPending(0);
	const docs = await serverDocs(server.url, groupDb('demo', GROUP));
	const marks = docs.filter((d) => d.type === 'mark' && d.studentId === child);
	expect(marks).toHaveLength(2);
	const late = marks.find((m) => m.status === 'late')!;
	expect(late.arrivedAt).toBe(at('15:35').toISOString());
	expect(marks.find((m) => m.status === 'absent')).toMatchObject({
		supersedes: late.id,
		reason: '看错了人，其实没来',
		author: 'teacher'
	});
	expect(docs.filter((d) => d.type === 'arrival' && d.unlisted)).toMatchObject([
		{
			unlisted: { studentName: '王小禾', className: '二(3)班' },
			reason: '家长临时送来，班主任电话告知'
		}
	]);

	// The office sees the child taken in off the list, and the absence without a leave notice.
	const office = await openDevice({ viewport: { width: 1440, height: 900 } });
	const desk = await signedIn(office.context, server.url, 'admin', 'kehou-admin');
	const item = (kind: string) =>
		desk.page.locator(`[data-testid=attention-item][data-kind=${kind}]`);
	await expect(item('not-expected').filter({ hasText: '王小禾' })).toHaveCount(1, {
		timeout: 60_000
	});
	await expect(item('absent-unexcused')).toHaveCount(1);
});

test('after the end time, the children still here move to extended care, and its teacher receives them', async ({
	server,
	openDevice
}) => {
	test.setTimeout(150_000);
	const tablet = await openDevice({ viewport: { width: 1024, height: 768 } });
	await tablet.context.clock.install({ time: at('17:40') });
	await tablet.context.clock.resume();
	const { page, app } = await signedIn(tablet.context, server.url, 'teacher', 'kehou-teacher');
	const roll = await openRoll(app, GROUP);
	await roll.allPresent();
	await roll.expectTally({ unmarked: 0 });
	const here = await roll.indexesWith('present');
	expect(here.length).toBeGreaterThan(2);
	// Two go home first; the rest stay past 17:30.
	await page.getByTestId('mode-release').click();
	// The first child has a one-time delegate entered by the office for today.
	await roll.tile(0).click();
	const delegate = page.getByTestId('release-to').filter({ hasText: '郑慧' });
	await expect(delegate.getByTestId('once')).toHaveText('仅限今日');
	await page.keyboard.press('Escape');
	for (const i of here.slice(0, 2)) {
		await roll.tile(i).click();
		await page.getByTestId('child-sheet').getByTestId('release-to').first().click();
		await expect(roll.tile(i)).toHaveAttribute('data-status', 'released');
	}
	const staying = here.length - 2;
	const overdue = page.getByTestId('overdue');
	await expect(overdue).toContainText(`仍有 ${staying} 名学生未离校`);
	await overdue.getByTestId('extended-move').click();
	await overdue.getByTestId('extended-confirm').click();
	await expect(overdue).toHaveCount(0);
	expect(await roll.indexesWith('handed-over')).toHaveLength(staying);
	await app.expectPending(0);

	// The extended-care teacher sees them coming and confirms each arrival with a tap.
	const other = await openDevice({ viewport: { width: 768, height: 1024 } });
	await other.context.clock.install({ time: at('17:42') });
	await other.context.clock.resume();
	const late = await signedIn(other.context, server.url, 'late', 'kehou-late');
	const ext = await openRoll(late.app, 'ext-care');
	await expect(ext.tiles()).toHaveCount(staying);
	await ext.expectTally({ expected: staying, unmarked: staying });
	await expect(ext.tile(0).getByTestId('child-flag')).toHaveText('⚠ 待接收');
	await ext.tile(0).click();
	await expect(ext.tile(0)).toHaveAttribute('data-status', 'present');
	await late.app.expectPending(0);

	// The sending teacher sees the arrival confirmed (the flag goes away).
	const received = await ext.tile(0).getAttribute('data-student');
	await expect(
		page.locator(`[data-testid=student-tile][data-student="${received}"] [data-testid=child-flag]`)
	).toHaveCount(0);
});

test('a child goes to the club and comes back: incoming again, confirmed, then released', async ({
	server,
	openDevice
}) => {
	test.setTimeout(150_000);
	const tablet = await openDevice({ viewport: { width: 1024, height: 768 } });
	const { page, app } = await signedIn(tablet.context, server.url, 'teacher', 'kehou-teacher');
	const roll = await openRoll(app, GROUP);
	await roll.allPresent();
	const [i] = await roll.indexesWith('present');
	const child = (await roll.tile(i).getAttribute('data-student'))!;
	const mine = page.locator(`[data-testid=student-tile][data-student="${child}"]`);
	await page.getByTestId('mode-release').click();
	await mine.click();
	await page
		.getByTestId('child-sheet')
		.locator('[data-testid=handover-to][data-group=club-weiqi]')
		.click();
	await expect(mine).toHaveAttribute('data-status', 'handed-over');
	await app.expectPending(0);

	// The club teacher confirms the arrival, and at the end of the club hands the child back.
	const clubTablet = await openDevice({ viewport: { width: 768, height: 1024 } });
	const club = await signedIn(clubTablet.context, server.url, 'club', 'kehou-club');
	await openRoll(club.app, 'club-weiqi');
	const theirs = club.page.locator(`[data-testid=student-tile][data-student="${child}"]`);
	await expect(theirs.getByTestId('child-flag')).toHaveText('⚠ 待接收');
	await theirs.click();
	await expect(theirs).toHaveAttribute('data-status', 'present');
	await club.page.getByTestId('mode-release').click();
	await theirs.click();
	await club.page
		.getByTestId('child-sheet')
		.locator(`[data-testid=handover-to][data-group=${GROUP}]`)
		.click();
	await expect(theirs).toHaveAttribute('data-status', 'handed-over');
	await expect(theirs.getByTestId('child-flag')).toHaveText('⚠ 对方尚未确认接收');
	await club.app.expectPending(0);

	// Back in the service class: the child is expected again until the teacher confirms,
	// and the session cannot close before the child goes home.
	await expect(mine).toHaveAttribute('data-status', 'unmarked', { timeout: 30_000 });
	await expect(mine.getByTestId('child-flag')).toHaveText('⚠ 待接收');
	await page.getByTestId('mode-roll').click();
	await mine.click();
	await expect(mine).toHaveAttribute('data-status', 'present');
	// The history tells the round trip.
	await page.locator(`li:has([data-student="${child}"]) [data-testid=child-details]`).click();
	const history = page.getByTestId('child-history').locator('li');
	await expect(history.filter({ hasText: '交接到 围棋社' })).toHaveCount(1);
	await expect(history.filter({ hasText: '从 围棋社 交接到达' })).toHaveCount(1);
	await page.keyboard.press('Escape');
	await page.getByTestId('mode-release').click();
	await mine.click();
	await page.getByTestId('child-sheet').getByTestId('release-to').first().click();
	await expect(mine).toHaveAttribute('data-status', 'released');
	await app.expectPending(0);

	// The club sees its handover back confirmed.
	await expect(theirs.getByTestId('child-flag')).toHaveCount(0);
	await expect(theirs).toHaveAttribute('data-status', 'handed-over');
});
