// A server that refuses large requests (413, here a sync-server started with an 8 KiB
// body limit): the sync manager retries with smaller batches until the push goes
// through, and every event reaches the server exactly once.
import { GROUP_DB, World, counts, makeMarks, write } from './harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const LIMIT = 8 * 1024;

let world: World;
beforeEach(async () => {
	world = await new World().start({ maxBodyBytes: LIMIT });
});
afterEach(async () => {
	world.net.afterReply = undefined;
	await world.dispose();
});

describe('a 413 from the server', () => {
	it('makes the manager push in smaller batches, and nothing is lost', async () => {
		const pushes: { docs: number; bytes: number; status: number }[] = [];
		world.net.afterReply = (s, res) => {
			if (s.method !== 'POST' || !s.path.endsWith('/_bulk_docs')) return;
			const body = JSON.parse(s.body ?? '{}') as { docs?: unknown[] };
			pushes.push({
				docs: body.docs?.length ?? 0,
				bytes: Buffer.byteLength(s.body ?? ''),
				status: res.status
			});
		};
		const device = world.device('tablet-a');
		await device.start();
		await device.synced();
		const roster = await device.studentIds();
		// Every changes feed and replication on the replica listens for its 'destroyed' event:
		// the count with live sync running is what must be there again after the 413s.
		const replica = device.store.replica(GROUP_DB) as unknown as {
			listenerCount(event: string): number;
		};
		const listening = () => replica.listenerCount('destroyed');
		const steady = listening();
		device.setOnline(false);

		// Two afternoons of marks for the whole class: far more than 8 KiB in one batch.
		const marks = await makeMarks(
			device,
			[...roster, ...roster].map((studentId) => ({ studentId, status: 'present' }))
		);
		expect(JSON.stringify(marks).length).toBeGreaterThan(LIMIT * 2);
		await write(device, marks);
		expect(await device.store.outboxCount()).toBe(marks.length);

		device.setOnline(true);
		await device.synced(GROUP_DB, 30_000);

		// The first batch was refused whole; later ones were smaller and accepted.
		expect(pushes[0]).toMatchObject({ docs: marks.length, status: 413 });
		const accepted = pushes.filter((p) => p.status === 201);
		expect(accepted.length).toBeGreaterThan(1);
		for (const p of accepted) {
			expect(p.docs).toBeLessThan(marks.length);
			expect(p.bytes).toBeLessThanOrEqual(LIMIT);
		}
		expect(accepted.reduce((n, p) => n + p.docs, 0)).toBe(marks.length);

		const onServer = (await world.serverDocs()).filter((d) => d.type === 'mark');
		expect([...counts(onServer.map((d) => String(d._id))).values()].every((n) => n === 1)).toBe(
			true
		);
		expect(onServer.map((d) => d._id).sort()).toEqual(marks.map((m) => m._id).sort());
		expect(device.manager.lastError).toBeNull();
		expect(await device.store.outboxCount()).toBe(0);
		// Each refused push ended its replication; none left a changes feed behind.
		await expect.poll(listening).toBe(steady);
	});
});
