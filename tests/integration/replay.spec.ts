// An event delivered twice counts once: after a push, the server's copy reaches the same
// device and another one again, and a replayed push of the identical revision is
// accepted; neither the replicas, the read models, the server nor the roll count it twice.
import { GROUP_DB, TEACHER, World, makeMarks, write, type Device } from './harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { foldRoll, tallyRoll } from '../../src/lib/domain';
import type { Database, PouchDoc } from '../../src/lib/db/pouch';
import { call } from '../../sync-server/test-helpers';

let world: World;
beforeEach(async () => {
	world = await new World().start();
});
afterEach(async () => {
	await world.dispose();
});

const basic = `Basic ${Buffer.from(`${TEACHER.name}:${TEACHER.password}`).toString('base64')}`;

/** The server's copy of a document with its revision history, as the replicator reads it. */
async function serverCopy(id: string): Promise<PouchDoc> {
	const res = await call(world.server.url, `/${GROUP_DB}/${encodeURIComponent(id)}?revs=true`, {
		headers: { Authorization: basic }
	});
	expect(res.status).toBe(200);
	return res.body as PouchDoc;
}

/** Stores a replicated revision into a device's replica, as a pull does (`new_edits: false`). */
async function deliver(replica: Database, doc: PouchDoc): Promise<void> {
	const raw = replica as unknown as {
		bulkDocs(docs: PouchDoc[], opts: { new_edits: boolean }): Promise<{ error?: unknown }[]>;
	};
	const res = await raw.bulkDocs([doc], { new_edits: false });
	expect(res.filter((r) => r.error)).toEqual([]);
}

async function started(name: string): Promise<Device> {
	const d = world.device(name);
	await d.start();
	await d.synced();
	return d;
}

describe('an event delivered twice', () => {
	it('is stored once and counted once everywhere', async () => {
		const [a, b] = [await started('tablet-a'), await started('tablet-b')];
		const roster = await a.studentIds();
		const [x, y] = roster;
		const marks = await makeMarks(a, [
			{ studentId: x, status: 'present' },
			{ studentId: y, status: 'absent' }
		]);
		await write(a, marks);
		await a.synced();
		await expect.poll(async () => (await b.marks()).length, { timeout: 20_000 }).toBe(2);
		await b.synced();

		const copy = await serverCopy(marks[0]._id);
		expect(copy._rev).toMatch(/^1-/);
		expect(copy._revisions).toBeDefined();
		const countsBefore = await Promise.all(
			[a, b].map(async (d) => (await d.replica().info()).doc_count)
		);

		// The server copy arrives again on the device that wrote it and on the other one.
		for (const d of [a, b]) {
			await deliver(d.replica(), copy);
			await d.store.caughtUp(GROUP_DB);
			const local = await d.replica().get(copy._id, { conflicts: true });
			expect(local._rev).toBe(copy._rev);
			expect(local._conflicts).toBeUndefined();
			expect((await d.marks()).filter((m) => m.id === marks[0].id)).toHaveLength(1);
		}
		const countsAfter = await Promise.all(
			[a, b].map(async (d) => (await d.replica().info()).doc_count)
		);
		expect(countsAfter).toEqual(countsBefore);

		// A replayed push of the identical revision, exactly as the replicator sends it, is
		// accepted (no per-document error) and changes nothing on the server.
		const replay = await call(world.server.url, `/${GROUP_DB}/_bulk_docs`, {
			headers: { Authorization: basic },
			body: { docs: [copy], new_edits: false }
		});
		expect(replay.status).toBe(201);
		expect(replay.body).toEqual([]);
		const diff = await call(world.server.url, `/${GROUP_DB}/_revs_diff`, {
			headers: { Authorization: basic },
			body: { [copy._id]: [copy._rev] }
		});
		expect(diff.body).toEqual({});
		const stored = (await world.serverDocs()).filter((d) => d._id === copy._id);
		expect(stored).toHaveLength(1);
		expect(stored[0]._rev).toBe(copy._rev);
		expect(stored[0]._conflicts).toBeUndefined();

		// Both devices keep syncing without a refusal or anything left to send.
		for (const d of [a, b]) {
			d.manager.restart();
			await d.synced();
			expect(d.manager.denied).toBeNull();
			expect(await d.store.outboxCount()).toBe(0);
		}

		// The fold counts the event once even when it is handed the duplicate as well.
		const rows = await b.marks();
		expect(rows).toEqual(await a.marks());
		const once = foldRoll(rows);
		const twice = foldRoll([...rows, copy as never, ...rows]);
		expect(twice).toEqual(once);
		expect(tallyRoll(roster, twice)).toEqual({
			expected: roster.length,
			present: 1,
			late: 0,
			leave: 0,
			absent: 1,
			unmarked: roster.length - 2
		});
	});
});
