// Photos on records (activity record, care log): a device writes the event and its JPEG
// attachments in one document; replication carries them inline to the server, which
// stores them when they are within the shared photo rules and the server's attachment
// limit, and otherwise refuses with a reason that says so (nothing is stored).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v7 as uuidv7 } from 'uuid';
import { TEACHER, raw, sharedServer } from './protocol-helpers';
import { TEACHER_DB, localDb, remoteWithCookie, signIn } from './test-helpers';
import type { Doc } from './storage';

// The server's attachment limit sits between a good photo and an over-sized one.
const s = sharedServer({ maxAttachmentBytes: 450 * 1024 });
beforeAll(() => s.start());
afterAll(() => s.stop());

function record(photos: Record<string, Buffer>): Doc {
	const id = uuidv7();
	return {
		_id: `activity-record:${id}`,
		type: 'activity-record',
		id,
		at: new Date().toISOString(),
		deviceId: 'device-0001',
		author: 'teacher',
		groupId: 'svc-3-1',
		weekOf: '2026-11-30',
		title: '秋天的树叶拼贴画',
		activities: ['theme'],
		content: '每人收集三种树叶，分组拼贴。',
		photos: Object.keys(photos),
		_attachments: Object.fromEntries(
			Object.entries(photos).map(([name, data]) => [
				name,
				{ content_type: 'image/jpeg', data: data.toString('base64') }
			])
		)
	};
}

const bytes = (n: number, fill = 9) => Buffer.alloc(n, fill);

describe('photos on records', () => {
	it('replicates a new record with its photos inline and serves them back intact', async () => {
		const cookie = await signIn(s.url, 'teacher', 'kehou-teacher');
		const device = localDb();
		try {
			const doc = record({ 'photo-1.jpg': bytes(300 * 1024, 1), 'photo-2.jpg': bytes(1000, 2) });
			await device.db.put(doc);
			const result = await device.db.replicate.to(remoteWithCookie(s.url, TEACHER_DB, cookie));
			expect(result.doc_write_failures).toBe(0);
			expect(result.docs_written).toBe(1);
			const photo = await fetch(`${s.url}/${TEACHER_DB}/${doc._id}/photo-1.jpg`, {
				headers: { Authorization: TEACHER }
			});
			expect(photo.status).toBe(200);
			expect(photo.headers.get('content-type')).toBe('image/jpeg');
			expect(Buffer.from(await photo.arrayBuffer()).equals(bytes(300 * 1024, 1))).toBe(true);

			// The office's device pulls the group's database, the photos with it.
			const office = localDb();
			try {
				const adminCookie = await signIn(s.url, 'admin', 'kehou-admin');
				const pulled = await office.db.replicate.from(
					remoteWithCookie(s.url, TEACHER_DB, adminCookie)
				);
				expect(pulled.doc_write_failures).toBe(0);
				const got = (await office.db.getAttachment(
					String(doc._id),
					'photo-1.jpg'
				)) as unknown as Buffer;
				expect(Buffer.from(got).equals(bytes(300 * 1024, 1))).toBe(true);
			} finally {
				await office.dispose();
			}
		} finally {
			await device.dispose();
		}
	});

	it('refuses a photo over the shared bound per document, storing nothing', async () => {
		const doc = record({ 'big.jpg': bytes(420 * 1024) });
		const r = await raw(s.url, `/${TEACHER_DB}/_bulk_docs`, {
			auth: TEACHER,
			body: { docs: [doc] }
		});
		expect(r.status).toBe(201);
		expect(r.json).toEqual([
			expect.objectContaining({
				id: doc._id,
				error: 'forbidden',
				reason: expect.stringContaining('at most 400 KB')
			})
		]);
		expect((await raw(s.url, `/${TEACHER_DB}/${doc._id}`, { auth: TEACHER })).status).toBe(404);
	});

	it("answers 413 attachment_too_large beyond the server's own attachment limit", async () => {
		const doc = record({ 'huge.jpg': bytes(460 * 1024) });
		const r = await raw(s.url, `/${TEACHER_DB}/_bulk_docs`, {
			auth: TEACHER,
			body: { docs: [doc] }
		});
		expect(r.status).toBe(413);
		expect(r.json).toEqual({ error: 'attachment_too_large', reason: 'huge.jpg' });
	});

	it('refuses a photo named but not attached, and an image the record does not list', async () => {
		const named = { ...record({}), photos: ['ghost.jpg'] };
		const extra = record({ 'a.jpg': bytes(10) });
		extra.photos = [];
		const r = await raw(s.url, `/${TEACHER_DB}/_bulk_docs`, {
			auth: TEACHER,
			body: { docs: [named, extra] }
		});
		expect(r.json).toEqual([
			expect.objectContaining({ error: 'forbidden', reason: expect.stringContaining('ghost.jpg') }),
			expect.objectContaining({ error: 'forbidden', reason: expect.stringContaining('a.jpg') })
		]);
	});
});
