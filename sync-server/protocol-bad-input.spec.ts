// Bad input on an app database: each case is a clear 4xx as CouchDB would answer it, and
// nothing is stored (the database's update_seq does not move).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEACHER, raw, sharedServer } from './protocol-helpers';
import { FIRST_STUDENT, TEACHER_DB, mark } from './test-helpers';

const s = sharedServer({ maxBodyBytes: 64 * 1024, maxAttachmentBytes: 1024 });
beforeAll(() => s.start());
afterAll(() => s.stop());

const seq = async () =>
	((await raw(s.url, `/${TEACHER_DB}`, { auth: TEACHER })).json as { update_seq: number })
		.update_seq;
const as = (init: Parameters<typeof raw>[2] = {}) => ({ auth: TEACHER, ...init });
const good = () => mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });

/** Runs `request`, expects `status` (and `error`), and checks that nothing was stored. */
async function refused(
	request: () => Promise<{ status: number; json: unknown }>,
	status: number,
	error?: string
) {
	const before = await seq();
	const r = await request();
	expect(r.status).toBe(status);
	if (error) expect((r.json as { error: string }).error).toBe(error);
	expect(await seq()).toBe(before);
	return r;
}

describe('bad input is refused with a 4xx and stores nothing', () => {
	it('malformed JSON, wrong content types, oversized bodies', async () => {
		const bulk = `/${TEACHER_DB}/_bulk_docs`;
		await refused(() => raw(s.url, bulk, as({ body: '{"docs": [' })), 400, 'bad_request');
		await refused(() => raw(s.url, bulk, as({ body: '\u00ff\u00fe' })), 400, 'bad_request');
		await refused(
			() => raw(s.url, bulk, as({ body: JSON.stringify({ docs: [good()] }), type: 'text/plain' })),
			415,
			'bad_content_type'
		);
		await refused(
			() => raw(s.url, bulk, as({ body: '--x\r\n\r\n', type: 'multipart/related; boundary=x' })),
			415
		);
		const big = { docs: [{ ...good(), padding: 'x'.repeat(70 * 1024) }] };
		await refused(() => raw(s.url, bulk, as({ body: big })), 413, 'too_large');
		await refused(() => raw(s.url, bulk, as({ body: [good()] })), 400, 'bad_request');
		await refused(() => raw(s.url, bulk, as({ body: { docs: [42] } })), 400, 'bad_request');
		await refused(() => raw(s.url, `/${TEACHER_DB}/_all_docs?limit=abc`, as()), 400);
	});

	it('oversized and malformed attachments', async () => {
		const big = Buffer.alloc(2048, 1).toString('base64');
		const withAtt = { ...good(), _attachments: { 'a.bin': { content_type: 'x/y', data: big } } };
		const r = await refused(
			() => raw(s.url, `/${TEACHER_DB}/_bulk_docs`, as({ body: { docs: [withAtt] } })),
			413,
			'attachment_too_large'
		);
		expect(r.json).toEqual({ error: 'attachment_too_large', reason: 'a.bin' });
		const m = good();
		await refused(
			() =>
				raw(
					s.url,
					`/${TEACHER_DB}/${m._id}/a.bin`,
					as({ method: 'PUT', body: new Uint8Array(4096), type: 'x/y' })
				),
			413,
			'attachment_too_large'
		);
		const notB64 = { ...good(), _attachments: { 'a.bin': { content_type: 'x/y', data: '!!' } } };
		await refused(
			() => raw(s.url, `/${TEACHER_DB}/_bulk_docs`, as({ body: { docs: [notB64] } })),
			400,
			'bad_request'
		);
		const stub = { ...good(), _attachments: { 'a.bin': { stub: true, digest: 'md5-x' } } };
		const stubbed = await raw(s.url, `/${TEACHER_DB}/_bulk_docs`, as({ body: { docs: [stub] } }));
		expect(stubbed.status).toBeGreaterThanOrEqual(400);
		expect(stubbed.status).toBeLessThan(500);
	});

	it('odd ids: reserved prefixes, invalid revisions, schema-bound ids', async () => {
		await refused(
			() =>
				raw(s.url, `/${TEACHER_DB}/_bulk_docs`, as({ body: { docs: [{ ...good(), _id: '_x' }] } })),
			400,
			'illegal_docid'
		);
		await refused(() => raw(s.url, `/${TEACHER_DB}/_x`, as({ method: 'PUT', body: good() })), 400);
		await refused(
			() =>
				raw(
					s.url,
					`/${TEACHER_DB}/${encodeURIComponent('mark:a/b')}`,
					as({ method: 'PUT', body: good() })
				),
			403,
			'forbidden'
		);
		await refused(
			() =>
				raw(s.url, `/${TEACHER_DB}/学生`, as({ method: 'PUT', body: { ...good(), _id: '学生' } })),
			403
		);
		await refused(
			() =>
				raw(
					s.url,
					`/${TEACHER_DB}/_bulk_docs`,
					as({ body: { new_edits: false, docs: [{ ...good(), _rev: 'x' }] } })
				),
			400
		);
	});

	it('schema failures, forged authors, edits of events and design documents', async () => {
		const bulk = (docs: unknown[], extra: Record<string, unknown> = {}) =>
			raw(s.url, `/${TEACHER_DB}/_bulk_docs`, as({ body: { docs, ...extra } }));
		const bad = await refused(() => bulk([{ ...good(), status: 'maybe' }]), 201);
		expect((bad.json as Array<{ error: string }>)[0].error).toBe('forbidden');
		const forged = await refused(() => bulk([{ ...good(), author: 'admin' }]), 201);
		expect((forged.json as Array<{ error: string }>)[0].error).toBe('forbidden');
		const m = good();
		const ok = await raw(s.url, `/${TEACHER_DB}/${m._id}`, as({ method: 'PUT', body: m }));
		expect(ok.status).toBe(201);
		const rev = (ok.json as { rev: string }).rev;
		await refused(
			() =>
				raw(
					s.url,
					`/${TEACHER_DB}/${m._id}?rev=${rev}`,
					as({ method: 'PUT', body: { ...m, status: 'late' } })
				),
			403,
			'forbidden'
		);
		await refused(
			() => raw(s.url, `/${TEACHER_DB}/${m._id}?rev=${rev}`, as({ method: 'DELETE' })),
			403
		);
		await refused(
			() =>
				raw(
					s.url,
					`/${TEACHER_DB}/${m._id}/x.txt?rev=${rev}`,
					as({ method: 'PUT', body: 'x', type: 'text/plain' })
				),
			403
		);
		await refused(
			() => raw(s.url, `/${TEACHER_DB}/_design/app`, as({ method: 'PUT', body: { views: {} } })),
			403,
			'forbidden'
		);
		const design = await refused(() => bulk([{ _id: '_design/app', views: {} }]), 201);
		expect((design.json as Array<{ error: string }>)[0].error).toBe('forbidden');
		await refused(
			() => raw(s.url, `/${TEACHER_DB}/_security`, as({ method: 'PUT', body: { members: {} } })),
			403
		);
		await refused(() => raw(s.url, `/${TEACHER_DB}`, as({ body: { type: 'nope' } })), 403);
	});
});
