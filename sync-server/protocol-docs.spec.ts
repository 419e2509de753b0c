// Document endpoints compared with CouchDB 3's documented answers, on a plain database
// (any JSON, server admin): PUT/GET/DELETE/COPY/POST, revisions and their read options,
// open_revs (JSON and multipart/mixed), _bulk_docs, _bulk_get, _revs_diff, _all_docs,
// _local documents and attachments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, raw, sharedServer } from './protocol-helpers';

const s = sharedServer();
let db = '';
beforeAll(async () => {
	await s.start();
	db = freshDb('docs');
	await raw(s.url, `/${db}`, { method: 'PUT' });
});
afterAll(() => s.stop());

const put = async (id: string, body: unknown, query = '') =>
	raw(s.url, `/${db}/${encodeURIComponent(id)}${query}`, { method: 'PUT', body });
const revOf = (r: { json: unknown }) => (r.json as { rev: string }).rev;

/** Two conflicting branches of `id`, written as replication writes them. */
async function conflicted(id: string) {
	await raw(s.url, `/${db}/_bulk_docs`, {
		body: {
			new_edits: false,
			docs: [
				{ _id: id, _rev: '1-aaa', v: 'a' },
				{ _id: id, _rev: '2-bbb', v: 'b', _revisions: { start: 2, ids: ['bbb', 'aaa'] } },
				{ _id: id, _rev: '2-ccc', v: 'c', _revisions: { start: 2, ids: ['ccc', 'aaa'] } },
				{ _id: id, _rev: '3-ddd', _deleted: true, _revisions: { start: 3, ids: ['ddd', 'bbb'] } }
			]
		}
	});
}

describe('single documents', () => {
	it('writes, reads and deletes with CouchDB’s statuses, bodies and ETags', async () => {
		const created = await put('one', { hello: '世界' });
		expect(created.status).toBe(201);
		expect(created.json).toEqual({
			ok: true,
			id: 'one',
			rev: expect.stringMatching(/^1-[0-9a-f]{32}$/)
		});
		expect(created.headers.get('etag')).toBe(`"${revOf(created)}"`);
		const conflict = await put('one', { hello: 'again' });
		expect(conflict.status).toBe(409);
		expect(conflict.json).toEqual({ error: 'conflict', reason: 'Document update conflict.' });

		const got = await raw(s.url, `/${db}/one`);
		expect(got.json).toEqual({ _id: 'one', _rev: revOf(created), hello: '世界' });
		expect(Object.keys(got.json as object).slice(0, 2)).toEqual(['_id', '_rev']);
		const cached = await raw(s.url, `/${db}/one`, {
			headers: { 'If-None-Match': `"${revOf(created)}"` }
		});
		expect(cached.status).toBe(304);

		// The revision may come from the query, the body or If-Match.
		const viaQuery = await put('one', { n: 1 }, `?rev=${revOf(created)}`);
		const viaBody = await put('one', { n: 2, _rev: revOf(viaQuery) });
		const viaHeader = await raw(s.url, `/${db}/one`, {
			method: 'PUT',
			body: { n: 3 },
			headers: { 'If-Match': `"${revOf(viaBody)}"` }
		});
		expect(revOf(viaHeader)).toMatch(/^4-/);
		const mismatch = await put('one', { _rev: revOf(viaHeader) }, '?rev=1-abc');
		expect(mismatch.status).toBe(400);

		const withRevs = await raw(s.url, `/${db}/one?revs=true&revs_info=true`);
		const body = withRevs.json as {
			_revisions: { start: number; ids: string[] };
			_revs_info: Array<{ rev: string; status: string }>;
		};
		expect(body._revisions.start).toBe(4);
		expect(body._revisions.ids).toHaveLength(4);
		expect(body._revs_info[0]).toEqual({ rev: revOf(viaHeader), status: 'available' });
		const old = await raw(s.url, `/${db}/one?rev=${revOf(created)}`);
		expect(old.json).toMatchObject({ hello: '世界' });

		const noRev = await raw(s.url, `/${db}/one`, { method: 'DELETE' });
		expect(noRev.status).toBe(409);
		const deleted = await raw(s.url, `/${db}/one?rev=${revOf(viaHeader)}`, { method: 'DELETE' });
		expect(deleted.status).toBe(200);
		expect(deleted.json).toEqual({ ok: true, id: 'one', rev: expect.stringMatching(/^5-/) });
		expect((await raw(s.url, `/${db}/one`)).json).toEqual({
			error: 'not_found',
			reason: 'deleted'
		});
		expect((await raw(s.url, `/${db}/nope`)).json).toEqual({
			error: 'not_found',
			reason: 'missing'
		});
		expect((await raw(s.url, `/${db}/nope?rev=1-abc`, { method: 'DELETE' })).status).toBe(404);
		const tomb = await raw(s.url, `/${db}/one?rev=${revOf(deleted)}`);
		expect(tomb.json).toEqual({ _id: 'one', _rev: revOf(deleted), _deleted: true });
	});

	it('accepts unicode and encoded slashes in ids, refuses reserved and empty ids', async () => {
		for (const id of ['学生/甲', 'a b+c', 'ünï©ødé', 'x%y']) {
			const r = await put(id, { ok: 1 });
			expect(r.status).toBe(201);
			expect((r.json as { id: string }).id).toBe(id);
			const got = await raw(s.url, `/${db}/${encodeURIComponent(id)}`);
			expect((got.json as { _id: string })._id).toBe(id);
		}
		const reserved = await put('_bad', {});
		expect(reserved.status).toBe(400);
		expect(reserved.json).toEqual({
			error: 'illegal_docid',
			reason: 'Only reserved document ids may start with underscore.'
		});
		const empty = await raw(s.url, `/${db}/_bulk_docs`, { body: { docs: [{ _id: '' }] } });
		expect(empty.json).toEqual({ error: 'illegal_docid', reason: 'Document id must not be empty' });
		const special = await put('sp', { _foo: 1 });
		expect(special.json).toEqual({
			error: 'doc_validation',
			reason: 'Bad special document member: _foo'
		});
		const design = await put('_design/x', { views: {} });
		expect(design.status).toBe(403);
	});

	it('creates with POST /{db}, copies with COPY and honours batch=ok', async () => {
		const posted = await raw(s.url, `/${db}`, { body: { made: 'by post' } });
		expect(posted.status).toBe(201);
		const id = (posted.json as { id: string }).id;
		expect(id).toMatch(/^[0-9a-f]{32}$/);
		expect(posted.headers.get('location')).toContain(id);
		const copied = await raw(s.url, `/${db}/${id}`, {
			method: 'COPY',
			headers: { Destination: 'copy-target' }
		});
		expect(copied.status).toBe(201);
		expect((await raw(s.url, `/${db}/copy-target`)).json).toMatchObject({ made: 'by post' });
		const noDest = await raw(s.url, `/${db}/${id}`, { method: 'COPY' });
		expect(noDest.status).toBe(400);
		const batch = await put('batched', { b: 1 }, '?batch=ok');
		expect(batch.status).toBe(202);
		expect(batch.json).toEqual({ ok: true, id: 'batched' });
	});
});

describe('revisions and conflicts', () => {
	it('shows conflicts, deleted conflicts, meta and open_revs as CouchDB does', async () => {
		await conflicted('k');
		const doc = await raw(s.url, `/${db}/k?conflicts=true&deleted_conflicts=true`);
		expect(doc.json).toMatchObject({
			_id: 'k',
			_rev: '2-ccc',
			v: 'c',
			_deleted_conflicts: ['3-ddd']
		});
		const meta = (await raw(s.url, `/${db}/k?meta=true`)).json as Record<string, unknown>;
		expect(meta._deleted_conflicts).toEqual(['3-ddd']);
		expect(meta._revs_info).toBeDefined();

		const all = (await raw(s.url, `/${db}/k?open_revs=all`)).json as Array<{
			ok: { _rev: string };
		}>;
		expect(all.map((r) => r.ok._rev).sort()).toEqual(['2-ccc', '3-ddd']);
		const listed = await raw(
			s.url,
			`/${db}/k?open_revs=${encodeURIComponent('["2-ccc","9-zzz"]')}&revs=true`
		);
		expect(listed.json).toEqual([
			{ ok: { _id: 'k', _rev: '2-ccc', v: 'c', _revisions: { start: 2, ids: ['ccc', 'aaa'] } } },
			{ missing: '9-zzz' }
		]);
		// latest: an inner revision is answered by the leaves that descend from it.
		const latest = await raw(
			s.url,
			`/${db}/k?open_revs=${encodeURIComponent('["2-bbb","1-aaa","7-x"]')}&latest=true`
		);
		const revs = (latest.json as Array<{ ok?: { _rev: string }; missing?: string }>).map(
			(r) => r.ok?._rev ?? `missing ${r.missing}`
		);
		expect(revs.sort()).toEqual(['2-ccc', '3-ddd', 'missing 7-x']);
		const one = await raw(s.url, `/${db}/k?rev=2-bbb&latest=true`);
		expect(one.json).toMatchObject({ _rev: '3-ddd', _deleted: true });
		expect((await raw(s.url, `/${db}/k?rev=7-x&latest=true`)).status).toBe(404);
		expect((await raw(s.url, `/${db}/k?open_revs=["bad"]`)).status).toBe(400);
		expect((await raw(s.url, `/${db}/missing-doc?open_revs=all`)).status).toBe(404);
	});

	it('answers open_revs as multipart/mixed when asked, attachments as related parts', async () => {
		const att = Buffer.from('photo bytes').toString('base64');
		await put('mp', { _attachments: { 'p.txt': { content_type: 'text/plain', data: att } } });
		const res = await fetch(`${s.url}/${db}/mp?open_revs=all&attachments=true`, {
			headers: {
				Accept: 'multipart/mixed',
				Authorization: (await import('./protocol-helpers')).ROOT
			}
		});
		const type = res.headers.get('content-type') ?? '';
		expect(type).toMatch(/^multipart\/mixed; boundary="[0-9a-f]+"$/);
		const text = await res.text();
		expect(text).toContain('Content-Type: multipart/related');
		expect(text).toContain('"follows":true');
		expect(text).toContain('photo bytes');
		const missing = await fetch(`${s.url}/${db}/mp?open_revs=["5-abc"]`, {
			headers: {
				Accept: 'multipart/mixed',
				Authorization: (await import('./protocol-helpers')).ROOT
			}
		});
		expect(await missing.text()).toContain('error="true"');
	});

	it('_bulk_docs reports per document; new_edits:false stores given revisions', async () => {
		const r = await raw(s.url, `/${db}/_bulk_docs`, {
			body: { docs: [{ _id: 'b1', n: 1 }, { _id: 'b1', n: 2 }, { n: 3 }] }
		});
		expect(r.status).toBe(201);
		const out = r.json as Array<Record<string, unknown>>;
		expect(out[0]).toMatchObject({ ok: true, id: 'b1' });
		expect(out[1]).toEqual({ id: 'b1', error: 'conflict', reason: 'Document update conflict.' });
		expect(out[2]).toMatchObject({ ok: true, id: expect.stringMatching(/^[0-9a-f]{32}$/) });
		const repl = await raw(s.url, `/${db}/_bulk_docs`, {
			body: { new_edits: false, docs: [{ _id: 'r1', _rev: '5-abc', x: 1 }] }
		});
		expect(repl.json).toEqual([]);
		expect((await raw(s.url, `/${db}/r1`)).json).toMatchObject({ _rev: '5-abc' });
		const noDocs = await raw(s.url, `/${db}/_bulk_docs`, { body: { nodocs: true } });
		expect(noDocs.json).toEqual({
			error: 'bad_request',
			reason: 'POST body must include `docs` parameter.'
		});
	});

	it('_bulk_get answers every entry in order, with revs, latest and per-entry errors', async () => {
		const r = await raw(s.url, `/${db}/_bulk_get?revs=true&latest=true`, {
			body: {
				docs: [{ id: 'k', rev: '1-aaa' }, { id: 'k' }, { id: 'nope' }, { id: 'k', rev: '9-z' }, {}]
			}
		});
		const results = (r.json as { results: Array<{ id: string | null; docs: unknown[] }> }).results;
		expect(results.map((x) => x.id)).toEqual(['k', 'k', 'nope', 'k', null]);
		expect(results[0].docs).toHaveLength(2);
		expect(results[1].docs).toEqual([
			{
				ok: expect.objectContaining({
					_rev: '2-ccc',
					_revisions: { start: 2, ids: ['ccc', 'aaa'] }
				})
			}
		]);
		expect(results[2].docs).toEqual([
			{ error: { id: 'nope', rev: 'undefined', error: 'not_found', reason: 'missing' } }
		]);
		expect(results[3].docs).toEqual([
			{ error: { id: 'k', rev: '9-z', error: 'not_found', reason: 'missing' } }
		]);
		expect(results[4].docs[0]).toMatchObject({ error: { error: 'bad_request' } });
	});

	it('_revs_diff names the missing revisions and possible ancestors', async () => {
		const r = await raw(s.url, `/${db}/_revs_diff`, {
			body: { k: ['2-ccc', '3-eee'], other: ['1-abc'] }
		});
		expect(r.json).toEqual({
			k: { missing: ['3-eee'], possible_ancestors: expect.arrayContaining(['2-ccc']) },
			other: { missing: ['1-abc'] }
		});
	});
});

describe('_all_docs and _local', () => {
	it('takes keys, ranges in both spellings, inclusive_end, descending, skip, limit, conflicts', async () => {
		const name = freshDb('all');
		await raw(s.url, `/${name}`, { method: 'PUT' });
		await raw(s.url, `/${name}/_bulk_docs`, {
			body: { docs: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ _id: id, v: id })) }
		});
		const ids = async (q: string, body?: unknown) =>
			(
				(await raw(s.url, `/${name}/_all_docs${q}`, body ? { body } : {})).json as {
					rows: Array<{ id: string }>;
				}
			).rows.map((r) => r.id);
		expect(await ids('?startkey="b"&endkey="d"')).toEqual(['b', 'c', 'd']);
		expect(await ids('?start_key="b"&end_key="d"&inclusive_end=false')).toEqual(['b', 'c']);
		expect(await ids('?descending=true&limit=2')).toEqual(['e', 'd']);
		expect(await ids('?skip=3')).toEqual(['d', 'e']);
		expect(await ids('', { keys: ['e', 'a'] })).toEqual(['e', 'a']);
		const full = await raw(s.url, `/${name}/_all_docs?include_docs=true&limit=1&update_seq=true`);
		expect(full.json).toMatchObject({
			total_rows: 5,
			offset: 0,
			update_seq: 5,
			rows: [{ id: 'a', key: 'a', value: { rev: expect.any(String) }, doc: { _id: 'a', v: 'a' } }]
		});
		const missing = await raw(s.url, `/${name}/_all_docs`, { body: { keys: ['zz'] } });
		expect((missing.json as { rows: unknown[] }).rows).toEqual([{ key: 'zz', error: 'not_found' }]);
		const neg = await raw(s.url, `/${name}/_all_docs?limit=-1`);
		expect(neg.status).toBe(400);
		const both = await raw(s.url, `/${name}/_all_docs?key="a"`, { body: { keys: ['a'] } });
		expect(both.status).toBe(400);
	});

	it('keeps _local documents out of changes and _all_docs', async () => {
		const first = await raw(s.url, `/${db}/_local/cp`, { method: 'PUT', body: { seq: 1 } });
		expect(first.status).toBe(201);
		expect(first.json).toEqual({ ok: true, id: '_local/cp', rev: '0-1' });
		expect((await raw(s.url, `/${db}/_local/cp`, { method: 'PUT', body: { seq: 2 } })).status).toBe(
			409
		);
		const second = await raw(s.url, `/${db}/_local/cp`, {
			method: 'PUT',
			body: { seq: 2, _rev: '0-1' }
		});
		expect(revOf(second)).toBe('0-2');
		expect((await raw(s.url, `/${db}/_local/cp`)).json).toEqual({
			_id: '_local/cp',
			_rev: '0-2',
			seq: 2
		});
		const all = (await raw(s.url, `/${db}/_all_docs`)).json as { rows: Array<{ id: string }> };
		expect(all.rows.some((r) => r.id.startsWith('_local'))).toBe(false);
		expect((await raw(s.url, `/${db}/_local/cp`, { method: 'DELETE' })).status).toBe(409);
		expect((await raw(s.url, `/${db}/_local/cp?rev=0-2`, { method: 'DELETE' })).status).toBe(200);
		expect((await raw(s.url, `/${db}/_local/cp`)).status).toBe(404);
		expect((await raw(s.url, `/${db}/_local/none`, { method: 'DELETE' })).status).toBe(404);
	});
});

describe('attachments', () => {
	it('puts, gets and deletes attachments, keeping type and digest', async () => {
		const bytes = Buffer.from([0, 1, 2, 250, 251, 252]);
		const created = await raw(s.url, `/${db}/with-att/${encodeURIComponent('照片 1.bin')}`, {
			method: 'PUT',
			body: new Uint8Array(bytes),
			type: 'image/x-test'
		});
		expect(created.status).toBe(201);
		const rev1 = revOf(created);
		const stub = (await raw(s.url, `/${db}/with-att`)).json as {
			_attachments: Record<
				string,
				{ digest: string; stub: boolean; content_type: string; length: number }
			>;
		};
		const md5 = (await import('node:crypto'))
			.createHash('md5')
			.update(new Uint8Array(bytes))
			.digest('base64');
		expect(stub._attachments['照片 1.bin']).toMatchObject({
			content_type: 'image/x-test',
			digest: `md5-${md5}`,
			length: 6,
			stub: true
		});
		const got = await fetch(`${s.url}/${db}/with-att/${encodeURIComponent('照片 1.bin')}`, {
			headers: { Authorization: (await import('./protocol-helpers')).ROOT }
		});
		expect(got.headers.get('content-type')).toBe('image/x-test');
		expect(got.headers.get('etag')).toBe(`"${md5}"`);
		expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
		const inline = await raw(s.url, `/${db}/with-att?attachments=true`);
		expect(
			(inline.json as { _attachments: Record<string, { data: string }> })._attachments['照片 1.bin']
				.data
		).toBe(bytes.toString('base64'));

		const conflict = await raw(s.url, `/${db}/with-att/second.txt`, {
			method: 'PUT',
			body: 'x',
			type: 'text/plain'
		});
		expect(conflict.status).toBe(409);
		const second = await raw(s.url, `/${db}/with-att/second.txt?rev=${rev1}`, {
			method: 'PUT',
			body: 'second',
			type: 'text/plain'
		});
		expect(second.status).toBe(201);
		const missingAtt = await raw(s.url, `/${db}/with-att/none.txt`);
		expect(missingAtt.json).toEqual({
			error: 'not_found',
			reason: 'Document is missing attachment'
		});
		expect((await raw(s.url, `/${db}/no-doc/x.txt`)).json).toEqual({
			error: 'not_found',
			reason: 'missing'
		});
		const del = await raw(s.url, `/${db}/with-att/second.txt?rev=${revOf(second)}`, {
			method: 'DELETE'
		});
		expect(del.status).toBe(200);
		expect((await raw(s.url, `/${db}/with-att/second.txt`)).status).toBe(404);
		expect(
			(await raw(s.url, `/${db}/with-att/${encodeURIComponent('照片 1.bin')}?rev=${rev1}`)).status
		).toBe(200);
		const underscore = await raw(s.url, `/${db}/with-att/_bad?rev=${revOf(del)}`, {
			method: 'PUT',
			body: 'x',
			type: 'text/plain'
		});
		expect(underscore.status).toBe(400);
	});
});
