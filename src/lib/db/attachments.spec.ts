// Photos are attachments of their event in the PouchDB replica; the read model keeps the
// event's fields (with the photo names) but never the attachment bodies.
import { fresh } from './test-setup';
import { afterEach, describe, expect, it } from 'vitest';
import { makeActivityRecord } from '../../../tests/fixtures/factories';
import { StorageError, type LocalStore } from './local-store';
import type { PouchDoc } from './pouch';

const open: LocalStore[] = [];
afterEach(async () => {
	for (const store of open.splice(0)) await store.open([]);
});

describe('attachments', () => {
	it('are written with the event, read back from the replica, and kept out of Dexie', async () => {
		const t = fresh();
		await t.store.open([t.db]);
		open.push(t.store);
		const bytes = Buffer.alloc(3000, 5);
		const record = makeActivityRecord({
			photos: ['photo-1.jpg'],
			_attachments: {
				'photo-1.jpg': { content_type: 'image/jpeg', data: bytes.toString('base64') }
			}
		});
		await t.store.write(t.db, [record as unknown as PouchDoc]);

		const row = await t.rm.docs.get(record._id);
		expect(row?.photos).toEqual(['photo-1.jpg']);
		expect(row).not.toHaveProperty('_attachments');
		expect(JSON.stringify(row)).not.toContain(bytes.toString('base64').slice(0, 40));

		// The projector's pass over the changes feed (a rebuild) does not bring them in either.
		await t.store.rebuild();
		const rebuilt = await t.rm.docs.get(record._id);
		expect(rebuilt?.photos).toEqual(['photo-1.jpg']);
		expect(rebuilt).not.toHaveProperty('_attachments');

		const blob = await t.store.attachment(t.db, record._id, 'photo-1.jpg');
		// A Blob in the browser; PouchDB's browser build in Node may hand back a Buffer.
		const read =
			typeof blob.arrayBuffer === 'function'
				? Buffer.from(await blob.arrayBuffer())
				: Buffer.from(blob as unknown as Uint8Array);
		expect(read.equals(bytes)).toBe(true);
		await expect(t.store.attachment(t.db, record._id, 'nope.jpg')).rejects.toBeInstanceOf(
			StorageError
		);
	});
});
