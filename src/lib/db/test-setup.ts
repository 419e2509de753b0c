// Test-only support for the data-layer specs, run in Node. Importing this module sets
// up an in-memory IndexedDB (fake-indexeddb) and the two browser globals that PouchDB's
// browser build reads when it is loaded, so it must be the FIRST import of a spec (ES
// modules evaluate in import order). It also gives each test its own read model and
// replica names, so tests never share state.
import 'fake-indexeddb/auto';
import { vi } from 'vitest';
import type { LocalStore as LocalStoreT } from './local-store';
import type { ReadModel as ReadModelT } from './read-model';

const g = globalThis as unknown as Record<string, unknown>;
g.self ??= globalThis;
g.navigator ??= { userAgent: 'node', onLine: true };

// Loaded only after the globals above exist: a static import would be evaluated before
// them. (The type-only imports above are erased, so they load nothing.)
const { LocalStore } = await import('./local-store');
const { ReadModel } = await import('./read-model');
const { openLocal } = await import('./pouch');

let n = 0;
const run = Math.random().toString(36).slice(2, 8);

/** A fresh read model and store, plus a remote database name no other test uses. */
export function fresh(): { rm: ReadModelT; store: LocalStoreT; db: string } {
	n++;
	const rm = new ReadModel(`kh-test-rm-${run}-${n}`);
	return { rm, store: new LocalStore(rm), db: `kh-demo--g--t${run}${n}` };
}

/** Resolves once the projector's cursor for `db` has reached the replica's last change. */
export async function projected(rm: ReadModelT, db: string): Promise<void> {
	const replica = openLocal(db);
	const { update_seq } = await replica.info();
	await vi.waitFor(async () => {
		// An empty replica has no changes, so no cursor is ever stored for it.
		const seq = (await rm.cursors.get(db))?.seq ?? 0;
		if (seq !== update_seq) throw new Error(`cursor ${seq} < ${update_seq}`);
	});
}

/** Every mark in the read model (from its group-day rows), oldest id first. */
export async function allMarks(rm: ReadModelT) {
	return (await rm.markDays.toArray())
		.flatMap((d) => d.marks)
		.sort((a, b) => a.id.localeCompare(b.id));
}

/** Every row of the derived tables, sorted, for whole-table comparisons. */
export async function dump(rm: ReadModelT) {
	const byId = <T extends { id: string }>(rows: T[]) =>
		rows.sort((a, b) => a.id.localeCompare(b.id));
	return {
		students: byId(await rm.students.toArray()),
		groups: byId(await rm.groups.toArray()),
		marks: byId((await rm.markDays.toArray()).flatMap((d) => d.marks)),
		dayDocs: (await rm.dayDocs.toArray()).sort((a, b) =>
			`${a.groupId}|${a.date}`.localeCompare(`${b.groupId}|${b.date}`)
		),
		docs: (await rm.docs.toArray()).sort((a, b) => a._id.localeCompare(b._id))
	};
}
