// The national holiday table (法定节假日 and 调休), and the only module that imports
// `chinese-days`. It is called with 'YYYY-MM-DD' strings only: given Date objects the
// library shifts days in time zones west of UTC. The school's own overrides are layered
// on top in calendar.ts; years the library has no data for are reported, not guessed.
// The default import: the package's CommonJS build has no named exports under Node's ESM
// loader (the sync-server), while bundlers take its ES build; both carry these functions.
import chineseDays from 'chinese-days';
import type { Weekday } from './common.schema';
import { addDays, weekdayOf } from './dates';

export type NationalDayKind = 'workday' | 'weekend' | 'holiday' | 'moved-workday';

export interface NationalDay {
	date: string;
	kind: NationalDayKind;
	/** Chinese holiday name (国庆节) for holidays and for the working days moved for them. */
	holiday?: string;
	/**
	 * For a moved working day (调休上班): the weekday of the holiday weekday it pays back,
	 * e.g. Sunday 2026-09-20 repays Tuesday 2026-10-06, so it follows Tuesday's timetable.
	 */
	swapsWeekday?: Weekday;
}

/** What the calendar fold needs from a holiday table; tests pass their own. */
export interface HolidayTable {
	day(date: string): NationalDay;
	/** Does the table know this year's arrangement? (1.5.7: up to 2026.) */
	hasYear(year: number): boolean;
}

/** "National Day,国庆节,3" → "国庆节". */
function chineseName(raw: string): string | undefined {
	const parts = raw.split(',');
	return parts.length >= 2 ? parts[1] : undefined;
}

/**
 * Pairs the moved working days of one holiday with its in-lieu weekdays, in date order:
 * the official notices list them that way (2026 国庆: 9-20 ↔ 10-06, 10-10 ↔ 10-07).
 */
function swappedWeekday(date: string, name: string): Weekday | undefined {
	const window: string[] = [];
	for (let i = -40; i <= 40; i++) window.push(addDays(date, i));
	const sameHoliday = (d: string) => getDayDetail(d).name === name;
	const moved = window.filter((d) => {
		const w = weekdayOf(d);
		return w >= 6 && getDayDetail(d).work && sameHoliday(d);
	});
	const inLieu = window.filter((d) => isInLieu(d) && sameHoliday(d));
	const i = moved.indexOf(date);
	return i >= 0 && i < inLieu.length ? weekdayOf(inLieu[i]) : undefined;
}

const { getDayDetail, getHolidaysInRange, isInLieu } = chineseDays;

const yearCache = new Map<number, boolean>();

export const nationalHolidays: HolidayTable = {
	day(date) {
		const detail = getDayDetail(date);
		const weekend = weekdayOf(date) >= 6;
		const holiday = chineseName(detail.name);
		if (detail.work && weekend) {
			const swapsWeekday = holiday ? swappedWeekday(date, detail.name) : undefined;
			return {
				date,
				kind: 'moved-workday',
				...(holiday ? { holiday } : {}),
				...(swapsWeekday ? { swapsWeekday } : {})
			};
		}
		if (detail.work) return { date, kind: 'workday' };
		if (holiday) return { date, kind: 'holiday', holiday };
		return { date, kind: 'weekend' };
	},
	hasYear(year) {
		let known = yearCache.get(year);
		if (known === undefined) {
			// Every arrangement gives at least one weekday off (元旦 or 春节); a year without
			// any is a year the library does not know.
			known = getHolidaysInRange(`${year}-01-01`, `${year}-12-31`, false).length > 0;
			yearCache.set(year, known);
		}
		return known;
	}
};
