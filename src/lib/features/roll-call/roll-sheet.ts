// Pure helpers of the roll screen: ordering and the marks one tap or "all present" writes.
import { nextStatus, type RollEntry } from '$lib/domain';
import type { StudentRow } from '$lib/db/read-model';
import type { MarkInput } from './roll.repository';

export type SortKey = 'number' | 'name';

export function sortStudents(students: readonly StudentRow[], key: SortKey): StudentRow[] {
	return [...students].sort((a, b) =>
		key === 'number'
			? a.studentNo.localeCompare(b.studentNo)
			: a.name.localeCompare(b.name, 'zh-CN-u-co-pinyin')
	);
}

/** The mark a tap on a child writes: the next status, superseding the current mark. */
export function tapMark(studentId: string, entry: RollEntry | undefined): MarkInput {
	return {
		studentId,
		status: nextStatus(entry?.status),
		...(entry ? { supersedes: entry.markId } : {})
	};
}

/** "All present" marks only the children not yet marked; exceptions already made stay. */
export function allPresentMarks(
	studentIds: readonly string[],
	roll: ReadonlyMap<string, RollEntry>
): MarkInput[] {
	return studentIds
		.filter((id) => !roll.has(id))
		.map((id) => ({ studentId: id, status: 'present' }));
}
