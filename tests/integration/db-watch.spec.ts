// A device that follows many databases (the office) learns of changes from one feed,
// `/_kehou/db_updates` (src/lib/db/db-watch.ts), instead of one longpoll per database:
// against the real sync-server, with the app's real sync manager.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DbWatch } from '../../src/lib/db/db-watch';
import { GROUP_DB, TEACHER, World, makeMarks, write, type Device, type Sent } from './harness';

const OFFICE = { name: 'admin', password: 'kehou-admin' };

let world: World;
beforeEach(async () => {
	world = await new World().start();
});
afterEach(async () => {
	world.net.afterReply = undefined;
	await world.dispose();
});

/** Every app database the office may read, as the app learns them at sign-in. */
async function officeDbs(): Promise<string[]> {
	const auth = `Basic ${Buffer.from(`${OFFICE.name}:${OFFICE.password}`).toString('base64')}`;
	const res = await fetch(`${world.server.url}/_kehou/me`, { headers: { Authorization: auth } });
	const dbs = ((await res.json()) as { databases: string[] }).databases;
	expect(dbs.length).toBeGreaterThan(8); // more than the browser's connections
	return dbs;
}

async function syncedAll(d: Device, dbs: readonly string[]) {
	for (const db of dbs) await d.synced(db, 60_000);
}

const changesOf = (device: string) => (s: Sent) =>
	s.device === device && /^\/[^/]+\/_changes\?/.test(s.path);

/** The tablet marks one child; resolves when `office` holds the mark in its read model. */
async function markReaches(tablet: Device, office: Device) {
	const roster = await tablet.studentIds();
	const [m] = await makeMarks(tablet, [{ studentId: roster[3], status: 'absent' }]);
	await write(tablet, [m]);
	await expect
		.poll(async () => (await office.marks()).some((r) => r.id === m.id), { timeout: 30_000 })
		.toBe(true);
}

describe('the office follows its databases through one feed', () => {
	it('gets a change with no longpoll held for any database', async () => {
		const tablet = world.device('tablet-w1');
		await tablet.start();
		await tablet.synced();
		const dbs = await officeDbs();
		const office = world.device('office-w1', OFFICE);
		await office.start(dbs);
		await syncedAll(office, dbs);

		await markReaches(tablet, office);

		const sent = world.net.sent.filter(changesOf('office-w1'));
		expect(sent.filter((s) => s.path.includes('feed=longpoll'))).toEqual([]);
		expect(sent.some((s) => s.path.startsWith(`/${GROUP_DB}/_changes?`))).toBe(true);
		expect(
			world.net.sent.some(
				(s) => s.device === 'office-w1' && s.path.includes('/_kehou/db_updates?feed=longpoll')
			)
		).toBe(true);
	});

	it('goes back to longpolls against a server without the feed, and still gets the change', async () => {
		world.net.afterReply = (req) =>
			req.path.startsWith('/_kehou/db_updates')
				? new Response(JSON.stringify({ error: 'not_found', reason: 'missing' }), { status: 404 })
				: undefined;
		const tablet = world.device('tablet-w2');
		await tablet.start();
		await tablet.synced();
		const office = world.device('office-w2', OFFICE);
		await office.start([GROUP_DB]);
		await office.synced();

		await markReaches(tablet, office);

		const sent = world.net.sent.filter(changesOf('office-w2'));
		expect(sent.some((s) => s.path.includes('feed=longpoll'))).toBe(true);
	});

	it('after a server restart (a new feed), nothing is missed', async () => {
		const tablet = world.device('tablet-w3');
		await tablet.start();
		await tablet.synced();
		const office = world.device('office-w3', OFFICE);
		await office.start([GROUP_DB]);
		await office.synced();
		await markReaches(tablet, office);

		const dataDir = await world.stopServer();
		await world.restartServer(dataDir);
		// The devices notice the new server when their requests fail or are answered; the
		// feed's old sequence means nothing to the new server (reset: everything passes).
		tablet.setOnline(true);
		office.setOnline(true);
		await tablet.synced();
		await office.synced();
		await markReaches(tablet, office);
	});

	it('holds only a request already answered empty, until the feed names its database', async () => {
		const tablet = world.device('tablet-w4');
		await tablet.start();
		await tablet.synced();
		const origin = world.net.link('watcher-w4', TEACHER);
		const watch = new DbWatch(origin);
		const changes = (since: string) =>
			fetch(`${origin}/${GROUP_DB}/_changes?feed=normal&since=${since}`);
		const now = ((await (await changes('now')).json()) as { last_seq: number }).last_seq;
		const since = String(now);

		// Nothing is known of this `since` yet: it passes (and starts the feed).
		expect(await watch.held(GROUP_DB, since)).toBe(true);
		watch.answered(GROUP_DB, since, await changes(since));
		// Answered empty: the same request is held now, and a round trip later still is.
		let passed = false;
		const next = watch.held(GROUP_DB, since).then((v) => (passed = v));
		await fetch(`${origin}/`);
		expect(passed).toBe(false);
		// Another `since` (a replication that starts again further back) is not held.
		expect(await watch.held(GROUP_DB, '0')).toBe(true);

		// A change in the database: the feed names it and the held request goes out.
		const [m] = await makeMarks(tablet, [
			{ studentId: (await tablet.studentIds())[5], status: 'late' }
		]);
		await write(tablet, [m]);
		await next;
		expect(passed).toBe(true);
		const body = (await (await changes(since)).json()) as { results: { id: string }[] };
		expect(body.results.map((r) => r.id)).toContain(m._id);
	});
});
