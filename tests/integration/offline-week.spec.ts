// A tablet offline for a week: a term's-worth-scale batch of events written while the
// server is down all reaches the server exactly once when it is back, the outbox empties,
// and a second tablet pulls every event into its read model.
import { GROUP, GROUP_DB, World, counts, makeMarks, write, type Device } from './harness';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newEventId } from '../../src/lib/db/ids';
import type { MarkRow } from '../../src/lib/db/read-model';
import { arrivalSchema, foldRoll, nextStatus, tallyRoll, type Mark } from '../../src/lib/domain';

let world: World;
beforeEach(async () => {
	world = await new World().start();
});
afterEach(async () => {
	await world.dispose();
});

const DAYS = ['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27'];
/**
 * Marks per child and day: 1–16 taps (each after the first supersedes the one before), so a
 * week of the demo class (45 children) comes to a term's scale: ~1,800 events.
 */
const MAX_TAPS = 16;
const taps = (child: number, day: number) => 1 + ((child * 7 + day * 3) % MAX_TAPS);

/** An arrival as the afternoon screen records it (validated by the shared schema). */
function arrival(deviceId: string, studentId: string, date: string, at: string) {
	const id = newEventId();
	return arrivalSchema.parse({
		_id: `arrival:${id}`,
		type: 'arrival',
		id,
		groupId: GROUP,
		studentId,
		date,
		at,
		deviceId,
		author: 'teacher'
	});
}

/** One afternoon on the tablet: arrivals, the roll (a batch), then corrections tap by tap. */
async function afternoon(device: Device, roster: string[], day: number): Promise<string[]> {
	const date = DAYS[day];
	const at = (minute: number) => new Date(Date.parse(`${date}T07:30:00.000Z`) + minute * 60_000);
	const deviceId = await device.store.deviceId();
	const arrivals = roster.map((s, i) => arrival(deviceId, s, date, at(i % 20).toISOString()));
	await write(device, arrivals);
	let last = await makeMarks(
		device,
		roster.map((studentId) => ({ studentId, status: 'present', at: at(25).toISOString() })),
		date
	);
	await write(device, last);
	const written: string[] = [...arrivals, ...last].map((d) => d._id);
	for (let round = 1; round < MAX_TAPS; round++) {
		const next: Mark[] = [];
		for (const [i, studentId] of roster.entries()) {
			if (round >= taps(i, day)) continue;
			const prev = last.find((m) => m.studentId === studentId)!;
			const [m] = await makeMarks(
				device,
				[
					{
						studentId,
						status: nextStatus(prev.status),
						supersedes: prev.id,
						at: at(25 + round).toISOString()
					}
				],
				date
			);
			next.push(m);
		}
		await write(device, next); // a round of taps; one write per tap would only be slower
		last = [...last.filter((m) => !next.some((n) => n.studentId === m.studentId)), ...next];
		written.push(...next.map((m) => m._id));
	}
	return written;
}

/** Each day's roll as the fold computes it, for comparing two devices. */
function rolls(marks: MarkRow[], roster: string[]) {
	return DAYS.map((date) => {
		const roll = foldRoll(marks.filter((m) => m.date === date));
		return { date, roll: [...roll].sort(), tally: tallyRoll(roster, roll) };
	});
}

describe('a device offline for a week', () => {
	it('syncs every event exactly once when the server is back', { timeout: 90_000 }, async () => {
		const t0 = Date.now();
		const a = world.device('tablet-a');
		await a.start();
		await a.synced();
		const roster = await a.studentIds();
		expect(roster.length).toBeGreaterThan(30);

		const dataDir = await world.stopServer();
		const written: string[] = [];
		for (let day = 0; day < DAYS.length; day++) written.push(...(await afternoon(a, roster, day)));
		const tWritten = Date.now();
		expect(written.length).toBeGreaterThan(1500);
		expect(await a.store.outboxCount()).toBe(written.length);
		// The tablet knows it is not syncing and why.
		expect(['error', 'offline']).toContain(a.manager.status[GROUP_DB]);
		expect(a.manager.lastError).toBeTruthy();

		await world.restartServer(dataDir);
		a.manager.restart(); // as the `online` event does
		await a.synced(GROUP_DB, 60_000);
		const tPushed = Date.now();

		const events = (await world.serverDocs()).filter(
			(d) => d.type === 'mark' || d.type === 'arrival'
		);
		expect([...counts(events.map((d) => String(d._id))).values()].every((n) => n === 1)).toBe(true);
		expect(events.map((d) => String(d._id)).sort()).toEqual([...written].sort());
		expect(events.every((d) => /^1-/.test(String(d._rev)) && !d._conflicts)).toBe(true);
		expect(await a.store.outboxCount()).toBe(0);

		// A second tablet signs in and pulls the whole week into its read model.
		const b = world.device('tablet-b');
		await b.start();
		await b.synced(GROUP_DB, 60_000);
		const marksA = await a.marks();
		await expect
			.poll(async () => (await b.marks()).length, { timeout: 30_000 })
			.toBe(marksA.length);
		expect(await b.marks()).toEqual(marksA);
		expect((await b.replica().info()).doc_count).toBe((await a.replica().info()).doc_count);
		expect(rolls(await b.marks(), roster)).toEqual(rolls(marksA, roster));
		console.info(
			`offline week: ${written.length} events; written ${tWritten - t0} ms, pushed ${tPushed - tWritten} ms, pulled ${Date.now() - tPushed} ms`
		);
	});
});
