// Two tablets on one class mark different children while offline, then both sync:
// both read models, both folds and the server agree, and nothing is left unsent.
import { GROUP, GROUP_DB, World, counts, makeMarks, write, type Device } from './harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { foldRoll, tallyRoll, type Mark } from '../../src/lib/domain';

let world: World;
beforeEach(async () => {
	world = await new World().start();
});
afterEach(async () => {
	await world.dispose();
});

/** Starts a device, pulls the class (the roster) while online, then cuts its network. */
async function offlineWithRoster(name: string): Promise<Device> {
	const d = world.device(name);
	await d.start();
	await d.synced();
	d.setOnline(false);
	return d;
}

describe('two devices on one class', () => {
	it('converge after marking different children offline', async () => {
		const [a, b] = [await offlineWithRoster('tablet-a'), await offlineWithRoster('tablet-b')];
		const roster = await a.studentIds();
		expect(roster.length).toBeGreaterThan(20);
		expect(await b.studentIds()).toEqual(roster);

		// Tablet A marks the first half of the class, tablet B the rest; one child on each
		// side is corrected (a second tap that supersedes the first), as the roll screen does.
		const half = Math.floor(roster.length / 2);
		const aFirst = await makeMarks(
			a,
			roster.slice(0, half).map((studentId, i) => ({
				studentId,
				status: i % 7 === 0 ? 'absent' : 'present'
			}))
		);
		const aFix = await makeMarks(a, [
			{ studentId: aFirst[1].studentId, status: 'late', supersedes: aFirst[1].id }
		]);
		const bFirst = await makeMarks(
			b,
			roster.slice(half).map((studentId, i) => ({
				studentId,
				status: i % 5 === 0 ? 'leave' : 'present'
			}))
		);
		const bFix = await makeMarks(b, [
			{ studentId: bFirst[0].studentId, status: 'absent', supersedes: bFirst[0].id }
		]);
		for (const m of aFirst) await write(a, [m]); // one tap, one write
		await write(a, aFix);
		await write(b, bFirst); // "all present" button: one batch
		await write(b, bFix);
		const all: Mark[] = [...aFirst, ...aFix, ...bFirst, ...bFix];

		// Offline: each tablet shows only its own marks and counts them all as unsent.
		expect((await a.marks()).map((m) => m.id)).toEqual(
			[...aFirst, ...aFix].map((m) => m.id).sort()
		);
		expect((await b.marks()).map((m) => m.id)).toEqual(
			[...bFirst, ...bFix].map((m) => m.id).sort()
		);
		expect(await a.store.outboxCount()).toBe(aFirst.length + 1);
		expect(await b.store.outboxCount()).toBe(bFirst.length + 1);

		a.setOnline(true);
		b.setOnline(true);
		await a.synced();
		await b.synced();
		// Each tablet pushed before (or while) the other pulled: wait until both hold all.
		const ids = all.map((m) => m.id).sort();
		for (const d of [a, b]) {
			await expect
				.poll(async () => (await d.marks()).map((m) => m.id), { timeout: 20_000 })
				.toEqual(ids);
		}

		// Same marks, field for field, in both read models, and the same roll.
		const [marksA, marksB] = [await a.marks(), await b.marks()];
		expect(marksB).toEqual(marksA);
		const [rollA, rollB] = [foldRoll(marksA), foldRoll(marksB)];
		expect(rollB).toEqual(rollA);
		expect(rollA.get(aFirst[1].studentId)).toMatchObject({ status: 'late', markId: aFix[0].id });
		expect(rollA.get(bFirst[0].studentId)).toMatchObject({ status: 'absent', markId: bFix[0].id });
		const tally = tallyRoll(roster, rollA);
		expect(tally).toEqual(tallyRoll(roster, rollB));
		expect(tally.unmarked).toBe(0);
		expect(tally.present + tally.leave + tally.absent).toBe(roster.length);

		// The server holds each mark exactly once: one document, its first revision, no
		// conflicting branch, content as written.
		const onServer = (await world.serverDocs(GROUP_DB)).filter((d) => d.type === 'mark');
		expect([...counts(onServer.map((d) => String(d._id))).values()].every((n) => n === 1)).toBe(
			true
		);
		expect(onServer.map((d) => d._id).sort()).toEqual(all.map((m) => m._id).sort());
		for (const d of onServer) {
			expect(String(d._rev)).toMatch(/^1-/);
			expect(d._conflicts).toBeUndefined();
		}
		const byId = new Map(onServer.map((d) => [d._id, d]));
		for (const m of all) expect(byId.get(m._id)).toMatchObject({ ...m, groupId: GROUP });

		expect(await a.store.outboxCount()).toBe(0);
		expect(await b.store.outboxCount()).toBe(0);
	});
});
