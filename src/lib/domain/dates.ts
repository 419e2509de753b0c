// Calendar arithmetic on `YYYY-MM-DD` strings. Dates are handled as UTC midnights only
// inside these functions, so no local time zone can shift a day (the bug `chinese-days`
// has with Date objects west of UTC).
import type { Weekday } from './common.schema';

const DAY_MS = 86_400_000;

function toUtc(date: string): number {
	return Date.UTC(
		Number(date.slice(0, 4)),
		Number(date.slice(5, 7)) - 1,
		Number(date.slice(8, 10))
	);
}

function fromUtc(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
	return fromUtc(toUtc(date) + days * DAY_MS);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function weekdayOf(date: string): Weekday {
	const d = new Date(toUtc(date)).getUTCDay();
	return d === 0 ? 7 : d;
}

/** Every date from `from` to `to`, both included; empty when `to` is before `from`. */
export function datesBetween(from: string, to: string): string[] {
	const out: string[] = [];
	for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
	return out;
}

/** The Monday of the week `date` falls in. */
export function mondayOf(date: string): string {
	return addDays(date, 1 - weekdayOf(date));
}

/** Whole days from `a` to `b` (negative when `b` is earlier). */
export function daysFrom(a: string, b: string): number {
	return Math.round((toUtc(b) - toUtc(a)) / DAY_MS);
}
