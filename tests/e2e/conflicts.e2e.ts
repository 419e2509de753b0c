// Conflicting edits of a reference document reach the administrator, who keeps one
// version; the resolution syncs and the server is left with a single leaf holding it.
// The edits come from two other devices of the office (no screen edits venues yet): one
// saved online (a plain PUT), one made offline from the same revision and replicated later
// (`_bulk_docs` with `new_edits: false`, as PouchDB's replicator pushes it). On the way,
// the desk's first sync (the initial pull) brings a venue's photo whole, not as a stub.
import { signedIn } from './pages/app.page';
import { expect, test } from './support/fixtures';
import { schoolDb } from '../../src/lib/domain/databases';

const DB = schoolDb('demo');
const VENUE = 'venue:library';

type Doc = Record<string, unknown> & { _id: string; _rev: string };

/** A CouchDB call with HTTP Basic credentials; returns the parsed JSON body. */
async function couch(
	url: string,
	user: string,
	path: string,
	init: { method?: string; body?: unknown } = {}
): Promise<Record<string, unknown>> {
	const password = `kehou-${user}`;
	const res = await fetch(`${url}/${DB}/${path}`, {
		method: init.method ?? 'GET',
		headers: {
			Accept: 'application/json',
			'Content-Type': 'application/json',
			Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
		},
		...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
	});
	const body = (await res.json()) as Record<string, unknown>;
	if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
	return body;
}

test('an administrator sees a conflict on a venue, keeps one version, and the server follows', async ({
	server,
	openDevice
}) => {
	const playground = (await couch(server.url, 'admin', 'venue:playground')) as Doc;
	const photo = Buffer.from('made-up photo bytes').toString('base64');
	await couch(server.url, 'admin', 'venue:playground', {
		method: 'PUT',
		body: {
			...playground,
			_attachments: { 'photo.txt': { content_type: 'text/plain', data: photo } }
		}
	});

	const desk = await openDevice({ viewport: { width: 1440, height: 900 } });
	const { page, app } = await signedIn(desk.context, server.url, 'admin', 'kehou-admin');
	await expect(page.getByTestId('conflicts-link')).toHaveCount(0);
	// The replica holds the attachment's bytes (PouchDB's indexeddb adapter keeps them by
	// digest beside the document), read straight from IndexedDB.
	const stored = await page.evaluate(
		({ idb, id }) =>
			new Promise<number[]>((resolve, reject) => {
				const req = indexedDB.open(idb);
				req.onerror = () => reject(new Error(String(req.error)));
				req.onsuccess = () => {
					const get = req.result.transaction('docs').objectStore('docs').get(id);
					get.onerror = () => reject(new Error(String(get.error)));
					get.onsuccess = () => {
						const rec = get.result as { attachments?: Record<string, { data?: unknown }> };
						req.result.close();
						resolve(
							Object.values(rec?.attachments ?? {}).map((a) =>
								a.data instanceof Blob ? a.data.size : String(a.data ?? '').length
							)
						);
					};
				};
			}),
		{ idb: `_pouch_kehou-replica-${DB}`, id: 'venue:playground' }
	);
	expect(stored).toEqual([Buffer.from(photo, 'base64').length]);

	// Two edits of the same revision: one online, one offline and replicated afterwards.
	const base = (await couch(server.url, 'admin', VENUE)) as Doc;
	const [start, baseHash] = base._rev.split('-');
	await couch(server.url, 'admin', VENUE, {
		method: 'PUT',
		body: { ...base, building: '综合楼二层' }
	});
	const offlineHash = 'f'.repeat(32); // sorts after any other hash: this branch wins
	const offline = {
		...base,
		name: '阅览室',
		_rev: `${Number(start) + 1}-${offlineHash}`,
		_revisions: { start: Number(start) + 1, ids: [offlineHash, baseHash] }
	};
	const pushed = await couch(server.url, 'admin', '_bulk_docs', {
		method: 'POST',
		body: { docs: [offline], new_edits: false }
	});
	expect(pushed).toEqual([]);
	const both = (await couch(server.url, 'admin', `${VENUE}?conflicts=true`)) as Doc;
	expect(both.name).toBe('阅览室');
	expect(both._conflicts).toHaveLength(1);
	const onlineRev = (both._conflicts as string[])[0];

	// The desk's live sync brings both versions; the office is told.
	await page.getByTestId('conflicts-link').click();
	await expect(page).toHaveURL(/\/conflicts$/);
	const item = page.getByTestId('conflict').filter({ hasText: VENUE });
	await expect(item).toContainText('2 个版本');
	await item.click();
	const compare = page.getByRole('region', { name: '比较版本' });
	await expect(compare).toContainText('综合楼二层');
	await expect(compare).toContainText('阅览室');

	// Keep the online edit (the one not shown now): its column is the one with its building.
	const buildingRow = compare.getByRole('row').filter({ hasText: 'building' });
	const cells = await buildingRow.getByRole('cell').allInnerTexts();
	const column = cells.findIndex((t) => t.includes('综合楼二层'));
	expect(column).toBeGreaterThanOrEqual(0);
	await compare.getByTestId('keep-version').nth(column).click();
	await expect(page.getByTestId('no-conflicts')).toBeVisible();
	await app.expectPending(0);

	// The server keeps only the chosen content, on one leaf; the other branch is closed.
	await expect
		.poll(async () => {
			const doc = (await couch(server.url, 'root', `${VENUE}?conflicts=true`)) as Doc;
			return { building: doc.building, name: doc.name, conflicts: doc._conflicts ?? [] };
		})
		.toEqual({ building: '综合楼二层', name: base.name, conflicts: [] });
	const leaves = (await couch(server.url, 'root', `${VENUE}?open_revs=all`)) as unknown as {
		ok: Doc;
	}[];
	expect(leaves.filter((l) => !l.ok._deleted)).toHaveLength(1);
	expect(leaves.map((l) => l.ok._rev)).not.toContain(onlineRev);

	// And it stays resolved for the next one who signs in there.
	const other = await openDevice();
	const { page: second } = await signedIn(other.context, server.url, 'admin', 'kehou-admin');
	await expect(second.getByTestId('conflicts-link')).toHaveCount(0);
	await second.goto(`${server.url}/conflicts`);
	await expect(second.getByTestId('no-conflicts')).toBeVisible();
});
