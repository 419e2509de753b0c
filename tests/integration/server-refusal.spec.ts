// A document the server forbids stays unsent, with the server's reason shown, while the
// valid documents written beside it are stored and confirmed.
import { GROUP_DB, World, makeMarks, write } from './harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let world: World;
beforeEach(async () => {
	world = await new World().start();
});
afterEach(async () => {
	await world.dispose();
});

describe('a server refusal', () => {
	it('keeps the refused event in the outbox with its reason and confirms the rest', async () => {
		const device = world.device('tablet-a');
		await device.start();
		await device.synced();
		const [x, y, z] = await device.studentIds();

		// Written locally, bypassing the roll-call repository: an event signed by another
		// user than the one signed in (teacher). The schema accepts it; the server must not.
		const [good1] = await makeMarks(device, [{ studentId: x, status: 'present' }]);
		const [forged] = await makeMarks(device, [
			{ studentId: y, status: 'absent', author: 'teacher2' }
		]);
		const [good2] = await makeMarks(device, [{ studentId: z, status: 'leave' }]);
		await write(device, [good1, forged, good2]);
		expect(await device.store.outboxCount()).toBe(3);

		await expect
			.poll(() => device.manager.denied, { timeout: 20_000 })
			.toEqual({ count: 1, reason: 'The author of an event must be the signed-in user.' });
		await expect
			.poll(async () => (await device.store.outboxRows()).map((r) => r.docId), {
				timeout: 20_000
			})
			.toEqual([forged._id]);
		await expect.poll(() => device.manager.status[GROUP_DB], { timeout: 20_000 }).toBe('idle');
		expect(device.manager.needsSignIn).toBe(false);

		const onServer = new Map((await world.serverDocs()).map((d) => [d._id, d]));
		expect(onServer.get(good1._id)).toMatchObject({ status: 'present', author: 'teacher' });
		expect(onServer.get(good2._id)).toMatchObject({ status: 'leave', author: 'teacher' });
		expect(onServer.has(forged._id)).toBe(false);

		// Restarting sync does not make it go away: it is never confirmed (the replicator's
		// checkpoint has passed it, so it is not resent), and it is still on the device, in
		// PouchDB and on screen: nothing was silently dropped.
		device.manager.restart();
		await expect.poll(() => device.manager.status[GROUP_DB], { timeout: 20_000 }).toBe('idle');
		expect((await device.store.outboxRows()).map((r) => r.docId)).toEqual([forged._id]);
		expect((await device.replica().get(forged._id)).author).toBe('teacher2');
		expect((await device.marks()).map((m) => m.id)).toContain(forged.id);
		expect((await world.serverDocs()).some((d) => d._id === forged._id)).toBe(false);
		// A sign-out would refuse to wipe: one document is not on the server.
		expect(await device.store.pushAll(device.origin)).toBe(1);
	});
});
