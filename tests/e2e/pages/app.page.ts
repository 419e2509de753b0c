// Page models: what a person does on each screen, so that tests read as the slice does.
import { expect, type BrowserContext, type Locator, type Page } from '@playwright/test';

export class AppPage {
	constructor(readonly page: Page) {}

	pendingCount(): Locator {
		return this.page.getByTestId('pending-count');
	}

	async expectPending(count: number) {
		await expect(this.pendingCount()).toHaveAttribute('data-count', String(count));
	}

	/** Waits until the service worker controls the page, so it can load offline. */
	async waitForServiceWorker() {
		await this.page.waitForFunction(() => !!navigator.serviceWorker?.controller, undefined, {
			timeout: 30_000
		});
	}

	/** Waits for the first completed sync after sign-in (the roster is all here). */
	async waitForFirstSync() {
		await expect(this.page.getByTestId('last-sync')).toHaveAttribute('data-synced', 'yes');
	}

	async signIn(name: string, password: string) {
		const page = this.page;
		await page.getByRole('textbox').first().fill(name);
		await page.locator('input[type=password]').fill(password);
		await page.locator('button[type=submit]').click();
	}

	groupCard(groupId: string): Locator {
		return this.page.locator(`[data-testid=group-card][data-group="${groupId}"]`);
	}
}

type TallyKey = 'expected' | 'present' | 'leave' | 'absent' | 'gone' | 'unmarked';

export class RollPage {
	constructor(readonly page: Page) {}

	tiles(): Locator {
		return this.page.getByTestId('student-tile');
	}

	tile(index: number): Locator {
		return this.tiles().nth(index);
	}

	tally(key: TallyKey): Locator {
		return this.page.getByTestId(`tally-${key}`);
	}

	async expectTally(t: Partial<Record<TallyKey, number>>) {
		for (const [key, value] of Object.entries(t)) {
			await expect(this.tally(key as TallyKey)).toHaveAttribute('data-value', String(value));
		}
	}

	/** Marks everyone not yet marked present, and waits until the marks are on screen. */
	async allPresent() {
		const button = this.page.getByTestId('all-present');
		await button.click();
		// Nobody is left to mark: a tap before this would race the batch (and mark twice).
		await expect(button).toBeDisabled();
	}

	/** Taps a child's tile until it shows the wanted status. */
	async tapUntil(index: number, status: string) {
		for (let i = 0; i < 5; i++) {
			if ((await this.tile(index).getAttribute('data-status')) === status) return;
			const before = await this.tile(index).getAttribute('data-status');
			await this.tile(index).click();
			await expect(this.tile(index)).not.toHaveAttribute('data-status', before ?? '');
		}
		await expect(this.tile(index)).toHaveAttribute('data-status', status);
	}

	/** Positions of the tiles that show this status now. */
	async indexesWith(status: string): Promise<number[]> {
		const all = await this.tiles().evaluateAll((els) =>
			els.map((e) => e.getAttribute('data-status'))
		);
		return all.flatMap((s, i) => (s === status ? [i] : []));
	}

	async statuses(): Promise<Record<string, string>> {
		return this.tiles().evaluateAll((els) =>
			Object.fromEntries(
				els.map((e) => [e.getAttribute('data-student'), e.getAttribute('data-status')])
			)
		);
	}
}

/** A device's page with a user signed in and the first sync done (the usual start). */
export async function signedIn(
	context: BrowserContext,
	url: string,
	name: string,
	password: string
): Promise<{ page: Page; app: AppPage }> {
	const page = context.pages()[0] ?? (await context.newPage());
	const app = new AppPage(page);
	await page.goto(url);
	await expect(page).toHaveURL(/\/sign-in$/);
	await app.signIn(name, password);
	await app.waitForFirstSync();
	return { page, app };
}

/** Opens a group's session screen from today's list and waits for its children. */
export async function openRoll(app: AppPage, groupId: string): Promise<RollPage> {
	await app.groupCard(groupId).click();
	const roll = new RollPage(app.page);
	await expect(roll.tiles().first()).toBeVisible();
	return roll;
}

/** The app's 24-hour time field (two selects): its value as `HH:MM`, and setting one. */
export const timeField = {
	async value(field: Locator): Promise<string> {
		const hour = await field.locator('[data-part=hour]').inputValue();
		const minute = await field.locator('[data-part=minute]').inputValue();
		return `${hour}:${minute}`;
	},
	async set(field: Locator, hhmm: string) {
		const [hour, minute] = hhmm.split(':');
		await field.locator('[data-part=hour]').selectOption(hour!);
		await field.locator('[data-part=minute]').selectOption(minute!);
	}
};
