// How the sync page names a database to a teacher: the group's or class's own name, or
// what the database holds — never only its technical name (shown beside it, small, for
// the school's IT person). Pure.
import { parseDbName, type DatabaseKind } from '$lib/domain';

export interface DbLabel {
	kind: DatabaseKind | 'other';
	/** The group's or class's name when the directory has it. */
	name?: string;
	/** The id when there is no name. */
	id?: string;
}

export function dbLabel(db: string, names: ReadonlyMap<string, string>): DbLabel {
	const ref = parseDbName(db);
	if (!ref) return { kind: 'other', id: db };
	if (ref.kind === 'group') {
		const name = names.get(`group:${ref.groupId}`);
		return name ? { kind: 'group', name } : { kind: 'group', id: ref.groupId };
	}
	if (ref.kind === 'class') {
		const name = names.get(`class:${ref.classId}`);
		return name ? { kind: 'class', name } : { kind: 'class', id: ref.classId };
	}
	return { kind: ref.kind };
}
