// Conflicts of mutable documents (two administrators edited the same class offline):
// detected by the projector, listed for the office, resolved by choosing a version.
import { Live } from '$lib/db/live.svelte';
import { localStore } from '$lib/db/local-store';
import { readModel, type ConflictRow } from '$lib/db/read-model';

export type { ConflictRow };

export const conflictsLive = () =>
	new Live<ConflictRow[]>(() => readModel.conflicts.orderBy('docId').toArray());

export const conflictCountLive = () => new Live<number>(() => readModel.conflicts.count());

export interface Version {
	rev: string;
	winner: boolean;
	fields: Record<string, unknown>;
}

/** The competing versions, winner first, without CouchDB's bookkeeping fields. */
export async function loadVersions(row: ConflictRow): Promise<Version[]> {
	const docs = await localStore.conflictVersions(row.db, row.docId);
	return docs.map((d, i) => ({
		rev: String(d._rev),
		winner: i === 0,
		fields: Object.fromEntries(Object.entries(d).filter(([k]) => !k.startsWith('_')))
	}));
}

/** Field names whose values differ between the versions (the ones worth showing). */
export function differingFields(versions: readonly Version[]): string[] {
	const keys = new Set(versions.flatMap((v) => Object.keys(v.fields)));
	return [...keys].filter((k) => {
		const values = versions.map((v) => JSON.stringify(v.fields[k] ?? null));
		return new Set(values).size > 1;
	});
}

export const keepVersion = (row: ConflictRow, rev: string) =>
	localStore.resolveConflict(row.db, row.docId, rev);
