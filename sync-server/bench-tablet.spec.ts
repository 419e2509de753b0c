// The server bench's wire tablet (tests/bench/support/wire-tablet.ts) against PouchDB's own
// replicator: for the same cycle it must send the same requests (kind and count) and leave
// the server holding the same documents, and it must notice answers a replicator would
// refuse. Each side gets its own server, seeded as the bench seeds ours.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSyncServer } from './app';
import { call, signIn } from './test-helpers';
import {
	afternoonDocs,
	groupDbOf,
	groupOf,
	PASSWORD,
	SCHOOL_DB,
	seedKehou
} from '../tests/bench/support/bench-school';
import { PouchTablet } from '../tests/bench/support/pouch-tablet';
import type { RequestTiming } from '../tests/bench/support/tablets';
import { WireTablet, type ChangeRow } from '../tests/bench/support/wire-tablet';

const GROUP_DB = groupDbOf(groupOf(0));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function benchServer(): Promise<{ url: string; cookie: string; school: ChangeRow[] }> {
	const dir = mkdtempSync(join(tmpdir(), 'kehou-bench-tablet-'));
	await seedKehou(join(dir, 'server'), 1);
	const server = createSyncServer({ dataDir: join(dir, 'server'), logLevel: 'silent' });
	const { url } = await server.listen(0);
	cleanups.push(async () => {
		await server.close();
		rmSync(dir, { recursive: true, force: true });
	});
	const cookie = await signIn(url, 't0', PASSWORD);
	const changes = await call(url, `/${SCHOOL_DB}/_changes?style=all_docs`, { cookie });
	const rows = (changes.body as { results: Array<{ id: string; changes: [{ rev: string }] }> })
		.results;
	return { url, cookie, school: rows.map((r) => ({ id: r.id, rev: r.changes[0].rev })) };
}

function pouchTablet(server: { url: string; cookie: string }, docs = afternoonDocs(0)) {
	const dir = mkdtempSync(join(tmpdir(), 'kehou-pouch-tablet-'));
	const tablet = new PouchTablet({
		url: server.url,
		cookie: server.cookie,
		groupDb: GROUP_DB,
		schoolDb: SCHOOL_DB,
		docs,
		dir
	});
	cleanups.push(async () => {
		await tablet.close();
		rmSync(dir, { recursive: true, force: true });
	});
	return tablet;
}

function wireTablet(
	server: { url: string; cookie: string; school: ChangeRow[] },
	docs = afternoonDocs(0)
) {
	const tablet = new WireTablet({
		url: server.url,
		cookie: server.cookie,
		groupDb: GROUP_DB,
		schoolDb: SCHOOL_DB,
		docs,
		school: server.school
	});
	cleanups.push(() => tablet.close());
	return tablet;
}

/** Requests by kind: `{ 'GET /{db}/_local/…': 7, … }`. */
function byKind(requests: RequestTiming[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const r of requests) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
	return Object.fromEntries(Object.entries(counts).sort());
}

/**
 * The same requests, kind by kind. One exception: PouchDB's replicator writes a checkpoint
 * by reading it first and skipping the write when it already holds that sequence, and how
 * many such tries it makes depends on timing — under load it once read one checkpoint
 * fewer (CI: 5 instead of 6 in a steady cycle, the same writes). So checkpoint reads may
 * differ by one.
 */
function expectSameRequests(wire: RequestTiming[], pouch: RequestTiming[]): void {
	const CHECKPOINT_READ = 'GET /{db}/_local/…';
	const w = byKind(wire);
	const p = byKind(pouch);
	expect({ ...w, [CHECKPOINT_READ]: 0 }).toEqual({ ...p, [CHECKPOINT_READ]: 0 });
	expect(w[CHECKPOINT_READ]).toBeGreaterThan(0);
	expect(Math.abs(w[CHECKPOINT_READ] - (p[CHECKPOINT_READ] ?? 0))).toBeLessThanOrEqual(1);
}

/** The group database as the server holds it: ids, revisions and bodies. */
async function groupDocs(server: { url: string; cookie: string }) {
	const res = await call(server.url, `/${GROUP_DB}/_all_docs?include_docs=true`, {
		cookie: server.cookie
	});
	expect(res.status).toBe(200);
	return (res.body as { rows: unknown[] }).rows;
}

describe('the bench wire tablet', () => {
	it('sends what PouchDB sends for a burst cycle and leaves the same documents', async () => {
		const docs = afternoonDocs(0);
		const [a, b] = await Promise.all([benchServer(), benchServer()]);
		const pouch = pouchTablet(a, docs);
		const wire = wireTablet(b, docs);
		await pouch.prepare('burst');
		await wire.prepare('burst');
		const pouchRequests: RequestTiming[] = [];
		const wireRequests: RequestTiming[] = [];
		expect(await pouch.cycle('burst', pouchRequests)).toEqual({ pushed: 91, pulled: 500 });
		expect(await wire.cycle('burst', wireRequests)).toEqual({ pushed: 91, pulled: 500 });

		expectSameRequests(wireRequests, pouchRequests);
		expect(wireRequests.length).toBe(36);
		expect(await groupDocs(b)).toEqual(await groupDocs(a));
		expect((await groupDocs(b)).length).toBe(91);
		expect(new Map(wire.schoolHeld)).toEqual(await pouch.schoolHeld());
	});

	it('sends what PouchDB sends for a steady cycle (push, school pull, group pull)', async () => {
		const docs = afternoonDocs(0);
		const [a, b] = await Promise.all([benchServer(), benchServer()]);
		const pouch = pouchTablet(a, docs);
		const wire = wireTablet(b, docs);
		await pouch.prepare('steady');
		await wire.prepare('steady');
		expect(new Map(wire.schoolHeld)).toEqual(await pouch.schoolHeld());
		const pouchRequests: RequestTiming[] = [];
		const wireRequests: RequestTiming[] = [];
		// One after the other, so that the group pull sees the whole push on both sides.
		expect(await pouch.cycle('steady', pouchRequests, true)).toEqual({ pushed: 91, pulled: 0 });
		expect(await wire.cycle('steady', wireRequests, true)).toEqual({ pushed: 91, pulled: 0 });

		expectSameRequests(wireRequests, pouchRequests);
		expect(await groupDocs(b)).toEqual(await groupDocs(a));
	});

	it('reports an error when the answers are not what a replicator needs', async () => {
		const server = await benchServer();
		// A school that lacks a document the server holds: the first pull notices.
		const short = wireTablet({ ...server, school: server.school.slice(1) });
		const first = await short.cycle('burst', []);
		expect(first.error).toMatch(/unlike the school database/);
		// The same afternoon pushed again: `_revs_diff` no longer names it missing.
		const docs = afternoonDocs(0);
		expect((await wireTablet(server, docs).cycle('burst', [])).error).toBeUndefined();
		const again = await wireTablet(server, docs).cycle('burst', []);
		expect(again.error).toMatch(/_revs_diff: .* not missing/);
		// Another teacher's group: the server refuses, the tablet reports it.
		const other = await wireTablet(server, afternoonDocs(1)).cycle('burst', []);
		expect(other.error).toMatch(/403|forbidden/);
	});
});
