// Looks at every screen of the slice as a person would: tablet landscape and portrait
// and desktop, in Chinese and English. Screenshots go to tests/.artifacts/screens for a
// human to open; the test asserts what can be measured: touch targets, no overflow, and
// axe-core's WCAG 2 A/AA rules.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { AppPage, RollPage } from './pages/app.page';
import { expect, test } from './support/fixtures';
import { photoFile } from './support/images';
import { screenshot } from './support/screenshots';

const SIZES = [
	{ name: 'tablet-landscape', width: 1024, height: 768 },
	{ name: 'tablet-portrait', width: 768, height: 1024 },
	{ name: 'desktop', width: 1440, height: 900 }
] as const;
const LOCALES = ['zh-CN', 'en'] as const;

async function checkLayout(page: Page) {
	const problems = await page.evaluate(() => {
		const out: string[] = [];
		if (document.documentElement.scrollWidth > window.innerWidth + 1)
			out.push('horizontal overflow');
		for (const el of document.querySelectorAll<HTMLElement>(
			'button, a, input, select, [role=button]'
		)) {
			const r = el.getBoundingClientRect();
			if (r.width === 0 || r.height === 0) continue; // not displayed
			if (r.height < 44 || r.width < 44) {
				out.push(`${el.tagName} "${el.textContent?.trim().slice(0, 20)}" ${r.width}×${r.height}`);
			}
		}
		return out;
	});
	expect(problems).toEqual([]);
	// Accessibility: axe-core's WCAG 2 A and AA rules (contrast, names, roles, labels).
	const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
	const violations = axe.violations.map((v) => ({
		rule: v.id,
		impact: v.impact,
		where: v.nodes.slice(0, 3).map((n) => `${n.html.slice(0, 80)}: ${n.failureSummary ?? ''}`)
	}));
	expect(violations).toEqual([]);
}

for (const size of SIZES) {
	for (const locale of LOCALES) {
		test(`screens at ${size.name} in ${locale}`, async ({ server, openDevice }) => {
			const device = await openDevice({ viewport: size, locale });
			const page = device.context.pages()[0] ?? (await device.context.newPage());
			const app = new AppPage(page);
			const shot = (screen: string, fullPage = false) =>
				screenshot(page, `tests/.artifacts/screens/${screen}-${size.name}-${locale}.png`, fullPage);

			await page.goto(server.url);
			if (locale === 'en') await page.getByTestId('lang-toggle').click();
			await expect(page.getByRole('heading', { level: 1 })).toHaveText(
				locale === 'en' ? 'Sign in' : '登录'
			);
			await checkLayout(page);
			await shot('sign-in');

			await app.signIn('teacher', 'kehou-teacher');
			await app.waitForFirstSync();
			await expect(app.groupCard('svc-3-1')).toBeVisible();
			await checkLayout(page);
			await shot('home');

			await app.groupCard('svc-3-1').click();
			const roll = new RollPage(page);
			await expect(roll.tiles().first()).toBeVisible();
			await roll.allPresent();
			await roll.expectTally({ unmarked: 0 });
			const present = await roll.indexesWith('present');
			await roll.tapUntil(present[1], 'absent');
			await roll.tapUntil(present[3], 'leave');
			await roll.tapUntil(present[6], 'late');
			await checkLayout(page);
			await shot('roll');
			// The details sheet: attendance, late time, correction, and the child's history.
			await page.getByTestId('child-details').nth(present[6]).click();
			await expect(page.getByTestId('child-history').locator('li')).toHaveCount(4);
			await page.locator('[data-testid=mark-choice][data-status=late]').click();
			await checkLayout(page);
			await shot('roll-sheet');
			await page.keyboard.press('Escape');
			await expect(page.getByTestId('child-sheet')).toHaveCount(0);
			await roll.page.getByTestId('roll-search').fill('2');
			await page.getByTestId('add-unlisted').click();
			await expect(page.getByTestId('unlisted')).toBeVisible();
			await checkLayout(page);
			await shot('unlisted');
			await page.keyboard.press('Escape');
			await roll.page.getByTestId('roll-search').fill('');
			// Home time: the release sheet of one child.
			await page.getByTestId('mode-release').click();
			await roll.tile(0).click();
			await expect(page.getByTestId('child-sheet')).toBeVisible();
			await checkLayout(page);
			await shot('release-sheet');
			await page.keyboard.press('Escape');
			await expect(page.getByTestId('child-sheet')).toHaveCount(0);
			// The whole page too, as the teacher scrolls it.
			await shot('roll-full', true);

			// The weekly activity record: the form with a photo, then the saved record.
			await page.getByTestId('open-activity').click();
			await page.getByTestId('activity-new').click();
			const form = page.getByTestId('activity-form');
			await form
				.getByTestId('activity-title')
				.fill(locale === 'en' ? 'Leaf collage' : '树叶拼贴画');
			await form
				.getByTestId('activity-content')
				.fill(
					locale === 'en'
						? 'Each child collected three kinds of leaves.'
						: '每人收集三种树叶，分组拼贴。'
				);
			await form.getByTestId('photo-input').setInputFiles(photoFile());
			await expect(form.getByTestId('photo-thumb')).toHaveCount(1);
			await checkLayout(page);
			await shot('activity-form', true);
			await form.getByTestId('activity-submit').click();
			await expect(page.getByTestId('activity-record').getByTestId('stored-photo')).toBeVisible();
			await checkLayout(page);
			await shot('activity-list');

			// An incident report: the form with two children chosen, then the saved report.
			await page
				.getByRole('link', { name: locale === 'en' ? 'Back to the session' : '返回本班' })
				.click();
			await page.getByTestId('open-incident').click();
			await page.getByTestId('incident-new').click();
			const report = page.getByTestId('incident-form');
			await report.locator('[data-testid=incident-kind][data-kind=injury]').click();
			await report.getByTestId('incident-child').nth(0).click();
			await report.getByTestId('incident-child').nth(3).click();
			await report
				.getByTestId('incident-description')
				.fill(locale === 'en' ? 'Fell while skipping.' : '跳绳时摔倒，膝盖擦伤');
			await report
				.getByTestId('incident-actions')
				.fill(locale === 'en' ? 'Cleaned and dressed.' : '校医消毒包扎');
			await report.getByTestId('incident-parents').check();
			await checkLayout(page);
			await shot('incident-form', true);
			await report.getByTestId('incident-submit').click();
			await expect(page.getByTestId('incident')).toHaveCount(1);
			await checkLayout(page);
			await shot('incident-list');

			// The sync details page (what is not yet sent, per database), from the badge.
			await page.getByTestId('sync-badge').click();
			await expect(page).toHaveURL(/\/sync$/);
			await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
			await checkLayout(page);
			await shot('sync');
		});
	}
}
