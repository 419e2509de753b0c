// What every event fold starts from: the events that still count. Shared so that all
// folds agree on duplicates, corrections and retractions (DESIGN.md decision 2).
import { compareEvents } from './roll';

export interface EventLike {
	id: string;
	at: string;
	supersedes?: string;
	retracted?: true;
}

/**
 * The events that count, in (time, id) order. Invariants: an event delivered twice counts
 * once; an event some other event supersedes never counts, whatever the clocks say; a
 * retraction counts for nothing itself. A correction of a correction leaves only the last:
 * superseding is by id, so an earlier link never comes back.
 */
export function liveEvents<T extends EventLike>(events: readonly T[]): T[] {
	const byId = new Map<string, T>();
	for (const e of events) byId.set(e.id, e);
	const superseded = new Set<string>();
	for (const e of byId.values()) if (e.supersedes) superseded.add(e.supersedes);
	return [...byId.values()]
		.filter((e) => !superseded.has(e.id) && !e.retracted)
		.sort(compareEvents);
}

/** The last of some events by (time, id), or undefined. */
export function lastEvent<T extends { at: string; id: string }>(
	events: readonly T[]
): T | undefined {
	let last: T | undefined;
	for (const e of events) if (!last || compareEvents(last, e) < 0) last = e;
	return last;
}
