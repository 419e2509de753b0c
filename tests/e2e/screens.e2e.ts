// Looks at every screen of the slice as a person would: tablet landscape and portrait
// and desktop, in Chinese and English. Screenshots go to tests/.artifacts/screens for a
// human to open; the test asserts what can be measured (touch targets, no overflow).
import type { Page } from '@playwright/test';
import { AppPage, RollPage } from './pages/app.page';
import { expect, test } from './support/fixtures';

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
		for (const el of document.querySelectorAll<HTMLElement>('button, a, input, [role=button]')) {
			const r = el.getBoundingClientRect();
			if (r.width === 0 || r.height === 0) continue; // not displayed
			if (r.height < 44 || r.width < 44) {
				out.push(`${el.tagName} "${el.textContent?.trim().slice(0, 20)}" ${r.width}×${r.height}`);
			}
		}
		return out;
	});
	expect(problems).toEqual([]);
}

for (const size of SIZES) {
	for (const locale of LOCALES) {
		test(`screens at ${size.name} in ${locale}`, async ({ server, openDevice }) => {
			const device = await openDevice({ viewport: size, locale });
			const page = device.context.pages()[0] ?? (await device.context.newPage());
			const app = new AppPage(page);
			const shot = (screen: string) =>
				page.screenshot({ path: `tests/.artifacts/screens/${screen}-${size.name}-${locale}.png` });

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
			await page.screenshot({
				path: `tests/.artifacts/screens/roll-full-${size.name}-${locale}.png`,
				fullPage: true
			});
		});
	}
}
