// A tablet shared by teachers: signing out pushes first and never wipes unsent marks;
// the next teacher sees nothing of the previous one.
import { openRoll, signedIn } from './pages/app.page';
import { expect, test } from './support/fixtures';
import { serverDocs } from './support/server';
import { groupDb } from '../../src/lib/domain/databases';

test('sign-out with unsent marks refuses to wipe; online it pushes, then wipes', async ({
	server,
	openDevice
}) => {
	const tablet = await openDevice();
	const { page, app } = await signedIn(tablet.context, server.url, 'teacher', 'kehou-teacher');
	const roll = await openRoll(app, 'svc-3-1');

	await tablet.context.setOffline(true);
	await roll.tapUntil(0, 'present');
	await roll.tapUntil(1, 'absent');
	await app.expectPending(3);

	await page.getByTestId('sign-out').click();
	await expect(page.getByTestId('sign-out-message')).toContainText('3 条记录未发送');
	// Still signed in, marks still here.
	await expect(page.getByTestId('user-name')).toBeVisible();
	await page.reload();
	await expect(roll.tile(1)).toHaveAttribute('data-status', 'absent');
	await app.expectPending(3);

	await tablet.context.setOffline(false);
	await app.expectPending(0);
	await page.getByTestId('sign-out').click();
	await expect(page).toHaveURL(/\/sign-in$/);
	const marks = (await serverDocs(server.url, groupDb('demo', 'svc-3-1'))).filter(
		(d) => d.type === 'mark'
	);
	expect(marks).toHaveLength(3);

	// Nothing of the teacher's is left on the device.
	const left = await page.evaluate(async () => {
		const dbs = await indexedDB.databases();
		return dbs.map((d) => d.name ?? '').filter((n) => n.startsWith('kehou-replica-'));
	});
	expect(left).toEqual([]);
});

test('a second teacher on the same tablet sees nothing of the first', async ({
	server,
	openDevice
}) => {
	const tablet = await openDevice();
	const { page, app } = await signedIn(tablet.context, server.url, 'teacher', 'kehou-teacher');
	await expect(app.groupCard('svc-3-1')).toBeVisible();
	const firstClassName = await app.groupCard('svc-3-1').locator('h2').innerText();
	await page.getByTestId('sign-out').click();
	await expect(page).toHaveURL(/\/sign-in$/);

	await app.signIn('teacher2', 'kehou-teacher2');
	await app.waitForFirstSync();
	await expect(page.getByTestId('group-card')).toHaveCount(1);
	await expect(app.groupCard('svc-3-1')).toHaveCount(0);
	await expect(page.getByText(firstClassName)).toHaveCount(0);
	// Not even by URL.
	await page.goto(`${server.url}/roll/svc-3-1`);
	await expect(page.getByText('找不到这个班级')).toBeVisible();
	await expect(page.getByTestId('student-tile')).toHaveCount(0);
	// Nor its activity records or incident reports (the same guard on every group page).
	for (const feature of ['activity', 'incident']) {
		await page.goto(`${server.url}/${feature}/svc-3-1`);
		await expect(page.getByTestId('group-missing')).toBeVisible();
		await expect(page.getByText(firstClassName)).toHaveCount(0);
		await expect(page.getByTestId(`${feature}-new`)).toHaveCount(0);
	}
	const replicas = await page.evaluate(async () =>
		(await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.includes('svc-3-1'))
	);
	expect(replicas).toEqual([]);
});

test("a session that expired offline: another teacher cannot take over the first one's unsent marks", async ({
	server,
	openDevice
}) => {
	const tablet = await openDevice();
	const { page, app } = await signedIn(tablet.context, server.url, 'teacher', 'kehou-teacher');
	const roll = await openRoll(app, 'svc-3-1');
	await tablet.context.setOffline(true);
	await roll.tapUntil(0, 'late');
	await tablet.context.request.delete(`${server.url}/_session`);
	await tablet.context.setOffline(false);
	await expect(page.getByTestId('sign-in-again')).toBeVisible();

	await page.getByTestId('sign-in-again').getByRole('link').click();
	await app.signIn('teacher2', 'kehou-teacher2');
	await expect(page.getByTestId('sign-in-error')).toContainText('林晓燕');
	await app.signIn('teacher', 'kehou-teacher');
	await app.expectPending(0);
});
