// The roll fold: turns a group's mark events for one day into each child's current
// mark and the day's tallies. Pure and deterministic: every device holding the same
// events computes the same roll, whatever order they arrived in.
import type { Mark, MarkStatus } from './roll.schema';

export interface RollEntry {
	status: MarkStatus;
	markId: string;
	at: string;
	author: string;
	arrivedAt?: string;
}

export interface RollTally {
	/** 应到: children expected. */
	expected: number;
	/** 实到: present or late. */
	present: number;
	late: number;
	/** 请假 */
	leave: number;
	/** 缺勤 */
	absent: number;
	/** Not yet marked. */
	unmarked: number;
}

/** Orders events by device time, then id: a total order every device agrees on. */
export function compareEvents(
	a: { at: string; id: string },
	b: { at: string; id: string }
): number {
	const ta = Date.parse(a.at);
	const tb = Date.parse(b.at);
	if (ta !== tb) return ta - tb;
	return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Current mark per student. Invariants: an event delivered twice counts once (dedupe by
 * id); an event named in another's `supersedes` never counts, whatever the clocks say; a
 * retraction withdraws its target and counts for nothing itself; among the rest the last by
 * (time, id) wins.
 */
export function foldRoll(marks: readonly Mark[]): Map<string, RollEntry> {
	const byId = new Map<string, Mark>();
	for (const m of marks) byId.set(m.id, m);
	const superseded = new Set<string>();
	for (const m of byId.values()) if (m.supersedes) superseded.add(m.supersedes);
	const live = [...byId.values()]
		.filter((m) => !superseded.has(m.id) && !m.retracted)
		.sort(compareEvents);
	const roll = new Map<string, RollEntry>();
	for (const m of live) {
		roll.set(m.studentId, {
			status: m.status,
			markId: m.id,
			at: m.at,
			author: m.author,
			...(m.arrivedAt ? { arrivedAt: m.arrivedAt } : {})
		});
	}
	return roll;
}

/** Tallies for the expected children; marks for children not expected are ignored. */
export function tallyRoll(
	expectedStudentIds: readonly string[],
	roll: ReadonlyMap<string, RollEntry>
): RollTally {
	const t: RollTally = {
		expected: expectedStudentIds.length,
		present: 0,
		late: 0,
		leave: 0,
		absent: 0,
		unmarked: 0
	};
	for (const id of expectedStudentIds) {
		const status = roll.get(id)?.status;
		if (status === 'present') t.present++;
		else if (status === 'late') {
			t.present++;
			t.late++;
		} else if (status === 'leave') t.leave++;
		else if (status === 'absent') t.absent++;
		else t.unmarked++;
	}
	return t;
}

/** The calendar date of an instant in the school's time zone (China has one zone). */
export function schoolDate(instant: Date, timeZone = 'Asia/Shanghai'): string {
	return new Intl.DateTimeFormat('en-CA', {
		timeZone,
		year: 'numeric',
		month: '2-digit',
		day: '2-digit'
	}).format(instant);
}

/** `HH:MM` (24-hour) of an instant in the school's time zone. */
export function schoolTime(instant: Date | string): string {
	return new Intl.DateTimeFormat('en-GB', {
		hour: '2-digit',
		minute: '2-digit',
		hourCycle: 'h23',
		timeZone: 'Asia/Shanghai'
	}).format(new Date(instant));
}

/** The instant of a school-time `HH:MM` on a school date (China is UTC+8 all year). */
export function schoolInstant(date: string, time: string): string {
	return new Date(`${date}T${time}:00+08:00`).toISOString();
}

/** The status a tap moves a child to: unmarked → present → absent → leave → late → present. */
export function nextStatus(current: MarkStatus | undefined): MarkStatus {
	switch (current) {
		case undefined:
			return 'present';
		case 'present':
			return 'absent';
		case 'absent':
			return 'leave';
		case 'leave':
			return 'late';
		case 'late':
			return 'present';
	}
}
