// Projects a replicated document into the read model. Pure with respect to its inputs:
// the same document always yields the same rows, so replays are harmless.
import type { PouchDoc } from './pouch';
import type { ReadModel } from './read-model';

const strip = (doc: PouchDoc) => {
	const row: Record<string, unknown> = {};
	for (const [k, v] of Object.entries(doc)) {
		if (k === '_rev' || k === '_revisions' || k === '_conflicts' || k === '_attachments') continue;
		row[k] = v;
	}
	return row;
};

/**
 * Call inside a read-model transaction covering the derived tables. `doc` comes from a
 * changes feed read with `conflicts: true`, so `_conflicts` lists the losing revisions.
 */
export async function projectDoc(rm: ReadModel, doc: PouchDoc, db = ''): Promise<void> {
	const type = typeof doc.type === 'string' ? doc.type : undefined;
	const [prefix, id] = splitId(doc._id);
	const losers = Array.isArray(doc._conflicts) ? (doc._conflicts as string[]) : [];
	if (losers.length > 0 && db) {
		await rm.conflicts.put({
			docId: doc._id,
			db,
			type: type ?? prefix,
			winner: doc._rev ?? '',
			losers
		});
	} else {
		await rm.conflicts.delete(doc._id);
	}
	if (doc._deleted) {
		if (prefix === 'student') await rm.students.delete(id);
		else if (prefix === 'group') await rm.groups.delete(id);
		else if (prefix === 'mark') await rm.marks.delete(id);
		else await rm.docs.delete(doc._id);
		return;
	}
	switch (type) {
		case 'student':
			await rm.students.put(strip(doc) as never);
			break;
		case 'group':
			await rm.groups.put(strip(doc) as never);
			break;
		case 'mark':
			await rm.marks.put(strip(doc) as never);
			break;
		default:
			if (type) await rm.docs.put({ ...strip(doc), _id: doc._id, type, kGroups: groupsOf(doc) });
	}
}

/** Every group a document concerns, for the `*kGroups` index. */
export function groupsOf(doc: PouchDoc): string[] {
	const out = new Set<string>();
	const add = (v: unknown) => {
		if (typeof v === 'string' && v) out.add(v);
	};
	add(doc.groupId);
	add(doc.fromGroupId);
	const to = doc.to as { groupId?: unknown } | undefined;
	if (to && typeof to === 'object') add(to.groupId);
	if (Array.isArray(doc.groupIds)) doc.groupIds.forEach(add);
	return [...out];
}

function splitId(docId: string): [string, string] {
	const i = docId.indexOf(':');
	return i < 0 ? ['', docId] : [docId.slice(0, i), docId.slice(i + 1)];
}
