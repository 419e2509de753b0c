// Screenshots for a person to open (tests/.artifacts/screens). A full-page capture
// scrolls the page under the sticky header and tally, which then show up mid-page; they
// are laid out in place for the capture and put back afterwards.
import type { Page } from '@playwright/test';

export async function screenshot(page: Page, path: string, fullPage = false) {
	if (!fullPage) {
		await page.screenshot({ path });
		return;
	}
	await page.addStyleTag({
		content: '.kehou-capture-static { position: static !important; }'
	});
	await page.evaluate(() => {
		for (const el of document.querySelectorAll<HTMLElement>('body *')) {
			const { position } = getComputedStyle(el);
			if ((position === 'sticky' || position === 'fixed') && !el.closest('dialog')) {
				el.classList.add('kehou-capture-static');
			}
		}
	});
	try {
		await page.screenshot({ path, fullPage: true });
	} finally {
		await page.evaluate(() => {
			for (const el of document.querySelectorAll('.kehou-capture-static')) {
				el.classList.remove('kehou-capture-static');
			}
		});
	}
}
