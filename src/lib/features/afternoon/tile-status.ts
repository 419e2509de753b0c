// How a child's state shows on the sheet: one status word per tile, and the counts of
// the header (应到 / 实到 / 请假 / 缺勤 / 已离校 / 未点).
import type { ChildState, SessionTally } from '$lib/domain';

export type TileStatus =
	'unmarked' | 'present' | 'late' | 'absent' | 'leave' | 'released' | 'handed-over';

export function tileStatus(state: ChildState): TileStatus {
	switch (state.status) {
		case 'expected':
			return 'unmarked';
		case 'present':
			return state.mark === 'late' ? 'late' : 'present';
		default:
			return state.status;
	}
}

export interface HeaderCounts {
	expected: number;
	/** 实到: children who came, whether still here or already gone. */
	arrived: number;
	leave: number;
	absent: number;
	/** 已离校: released or handed over. */
	gone: number;
	unmarked: number;
}

export function headerCounts(t: SessionTally): HeaderCounts {
	return {
		expected: t.expected,
		arrived: t.present + t.released + t.handedOver,
		leave: t.leave,
		absent: t.absent,
		gone: t.released + t.handedOver,
		unmarked: t.waiting
	};
}
