// Shared read answers (read-cache.ts): identical `_changes` pages and `_bulk_get`s at one
// state are computed once, and a write is seen by the very next read.
import { afterEach, describe, expect, it } from 'vitest';
import { TEACHER_DB, call, mark, signIn, startServer, FIRST_STUDENT } from './test-helpers';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

describe('shared read answers', () => {
	it('answers identical reads at one state once, and a write at once', async () => {
		const r = await startServer();
		cleanups.push(() => r.stop());
		const reads = r.server.storage.reads!;
		const cookie = await signIn(r.url, 'teacher', 'kehou-teacher');
		const changes = () =>
			call(r.url, `/${TEACHER_DB}/_changes?style=all_docs&since=0&limit=1000`, { cookie });

		// Tablets asking together share one computation, and get the same answer.
		const before = reads.stats.misses;
		const together = await Promise.all([changes(), changes(), changes()]);
		expect(reads.stats.misses - before).toBe(1);
		expect(together[1].body).toEqual(together[0].body);
		const first = together[0].body as { results: Array<{ id: string; changes: unknown }> };

		const m = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		const put = await call(r.url, `/${TEACHER_DB}/_bulk_docs`, { cookie, body: { docs: [m] } });
		expect(put.status).toBe(201);
		const after = (await changes()).body as typeof first;
		expect(after.results.map((x) => x.id)).toEqual([...first.results.map((x) => x.id), m._id]);

		// `latest` follows a document to its newest leaf as soon as it is written (a plain
		// database: app events are never edited).
		const root = await signIn(r.url, 'root', 'kehou-root');
		expect((await call(r.url, '/plain', { method: 'PUT', cookie: root })).status).toBe(201);
		const v1 = await call(r.url, '/plain/doc', { method: 'PUT', cookie: root, body: { n: 1 } });
		const rev1 = (v1.body as { rev: string }).rev;
		const latest = async () =>
			(
				(
					await call(r.url, '/plain/_bulk_get?revs=true&latest=true', {
						cookie: root,
						body: { docs: [{ id: 'doc', rev: rev1 }] }
					})
				).body as { results: Array<{ docs: Array<{ ok: { _rev: string; n: number } }> }> }
			).results[0].docs[0].ok;
		expect(await latest()).toMatchObject({ _rev: rev1, n: 1 });
		const v2 = await call(r.url, '/plain/doc', {
			method: 'PUT',
			cookie: root,
			body: { _rev: rev1, n: 2 }
		});
		expect(await latest()).toMatchObject({ _rev: (v2.body as { rev: string }).rev, n: 2 });
	});
});
