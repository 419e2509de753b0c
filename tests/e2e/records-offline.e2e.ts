// A teacher's records offline (issue 5): the weekly activity record with a photo taken on
// the tablet, and an incident report, both written without network and kept across a
// reload; back online, the administrator on another browser sees the record with its
// photo and the incident on the office's attention list.
import type { Locator } from '@playwright/test';
import { groupDb } from '../../src/lib/domain/databases';
import { AppPage, openRoll, signedIn } from './pages/app.page';
import { photoFile } from './support/images';
import { expect, test } from './support/fixtures';
import { serverDocs } from './support/server';

const GROUP = 'svc-3-1';

/** The photo is on screen, decoded from the device's own replica. */
async function expectShown(img: Locator) {
	await expect(img).toBeVisible();
	await expect
		.poll(() => img.evaluate((i: HTMLImageElement) => (i.complete ? i.naturalWidth : 0)))
		.toBeGreaterThan(0);
}

test('activity record with a photo and an incident, offline; the office sees both', async ({
	server,
	openDevice
}) => {
	test.setTimeout(150_000);
	const tablet = await openDevice({ viewport: { width: 1024, height: 768 } });
	const { page, app } = await signedIn(tablet.context, server.url, 'teacher', 'kehou-teacher');
	await app.waitForServiceWorker();
	await openRoll(app, GROUP);

	await tablet.context.setOffline(true);

	// The weekly activity record, with one photo (a large camera picture, compressed here).
	await page.getByTestId('open-activity').click();
	await expect(page.getByTestId('activity-none')).toBeVisible();
	await page.getByTestId('activity-new').click();
	const form = page.getByTestId('activity-form');
	// Saving an empty form is refused with reasons, and writes nothing.
	await form.getByTestId('activity-submit').click();
	await expect(form.locator('.err')).toHaveCount(2);
	await form.getByTestId('activity-title').fill('秋天的树叶拼贴画');
	await form.getByTestId('activity-content').fill('每人收集三种树叶，分组拼贴成一幅画。');
	await form.getByTestId('activity-highlights').fill('小组合作有分工，作品各有特色');
	await form.getByTestId('activity-work').fill('拼贴画 8 幅，在教室后墙展出');
	await form.getByTestId('photo-input').setInputFiles(photoFile());
	await expect(form.getByTestId('photo-thumb')).toHaveCount(1);
	// One removed before saving, another taken.
	await form.getByTestId('photo-remove').click();
	await expect(form.getByTestId('photo-thumb')).toHaveCount(0);
	await form.getByTestId('photo-input').setInputFiles(photoFile('second.png', 1200, 1600));
	await expect(form.getByTestId('photo-thumb')).toHaveCount(1);
	await form.getByTestId('activity-submit').click();
	await expect(form).toHaveCount(0);
	const record = page.getByTestId('activity-record');
	await expect(record).toHaveCount(1);
	await expect(record).toContainText('秋天的树叶拼贴画');
	await expectShown(record.getByTestId('stored-photo'));

	// An amendment is a new record that replaces the old one, says why, and keeps its photo.
	await record.getByTestId('activity-amend').click();
	await expect(form.getByTestId('photo-thumb')).toHaveCount(1);
	await form
		.getByTestId('activity-highlights')
		.fill('小组合作有分工，作品各有特色；小林讲解了拼法');
	await form.getByTestId('activity-submit').click();
	await expect(form.getByText('请写明修改原因。')).toBeVisible();
	await form.getByTestId('amend-reason').fill('补充亮点');
	await form.getByTestId('activity-submit').click();
	await expect(form).toHaveCount(0);
	await expect(record).toHaveCount(1);
	await expect(record.getByTestId('amended')).toContainText('补充亮点');
	await expect(record).toContainText('小林讲解了拼法');
	await expectShown(record.getByTestId('stored-photo'));

	// An incident: two children, parents told.
	await page.goto(`${server.url}/incident/${GROUP}`);
	await page.getByTestId('incident-new').click();
	const report = page.getByTestId('incident-form');
	await report.locator('[data-testid=incident-kind][data-kind=injury]').click();
	const children = report.getByTestId('incident-child');
	const names = [await children.nth(0).textContent(), await children.nth(1).textContent()].map(
		(n) => n?.trim() ?? ''
	);
	await children.nth(0).click();
	await children.nth(1).click();
	await report.getByTestId('incident-description').fill('跳绳时两人相撞，一人膝盖擦伤');
	await report.getByTestId('incident-actions').fill('校医消毒包扎，观察二十分钟无异常');
	await report.getByTestId('incident-parents').check();
	await report.getByTestId('incident-submit').click();
	await expect(report).toHaveCount(0);
	await expect(page.getByTestId('incident')).toHaveCount(1);
	await expect(page.getByTestId('incident')).toContainText(names[0]);
	await app.expectPending(3);

	// A reload without network keeps both, the photo too.
	await page.reload();
	await expect(page.getByTestId('incident')).toHaveCount(1);
	await page.goto(`${server.url}/activity/${GROUP}`);
	await expectShown(page.getByTestId('activity-record').getByTestId('stored-photo'));
	await app.expectPending(3);

	// Online: both reach the server, the photo as a bounded JPEG attachment of the record.
	await tablet.context.setOffline(false);
	await app.expectPending(0);
	const docs = await serverDocs(server.url, groupDb('demo', GROUP));
	const records = docs.filter((d) => d.type === 'activity-record');
	expect(records).toHaveLength(2);
	const saved = records.find((d) => d.supersedes)!;
	expect(saved.supersedes).toBe(records.find((d) => !d.supersedes)?.id);
	expect(saved.photos).toEqual(['photo-1.jpg']);
	const stub = (saved._attachments as Record<string, { content_type: string; length: number }>)[
		'photo-1.jpg'
	];
	expect(stub.content_type).toBe('image/jpeg');
	expect(stub.length).toBeGreaterThan(1000);
	expect(stub.length).toBeLessThanOrEqual(400 * 1024);
	expect(docs.filter((d) => d.type === 'incident')).toHaveLength(1);

	// The office, on another browser: the incident is on its list, the record has its photo.
	const office = await openDevice({ viewport: { width: 1024, height: 768 } });
	const admin = new AppPage(office.context.pages()[0] ?? (await office.context.newPage()));
	await admin.page.goto(server.url);
	await admin.signIn('admin', 'kehou-admin');
	// The office's first sync covers every database of the school: allow it the time.
	const flagged = admin.page.locator('[data-testid=attention-item][data-kind=incident]');
	await expect(flagged).toHaveCount(1, { timeout: 60_000 });
	await expect(flagged).toContainText(names[0]);
	await expect(flagged).toContainText('受伤');
	await admin.page.screenshot({
		path: 'tests/.artifacts/screens/office-attention-tablet-landscape-zh-CN.png'
	});
	await flagged.getByRole('link').click();
	await expect(admin.page.getByTestId('incident')).toContainText('校医消毒包扎');
	await admin.page.goto(`${server.url}/activity/${GROUP}`);
	const seen = admin.page.getByTestId('activity-record');
	await expect(seen).toHaveCount(1);
	await expect(seen).toContainText('小林讲解了拼法');
	// The author by the name the school knows, not the account name.
	await expect(seen).toContainText('林晓燕 记录于');
	await expectShown(seen.getByTestId('stored-photo'));
	await admin.expectPending(0);
});
