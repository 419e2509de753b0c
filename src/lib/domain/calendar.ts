// The term's calendar: which dates have service and which weekday's timetable each one
// follows. National table first (holidays off, 调休 working days on), the term's own
// overrides on top, the term's service weekdays and first service day last. Pure: the
// holiday table is a parameter (tests pass a fake; the app passes `nationalHolidays`).
import type { Weekday } from './common.schema';
import type { CalendarOverride, Term } from './calendar.schema';
import { addDays, datesBetween, mondayOf, weekdayOf } from './dates';
import { nationalHolidays, type HolidayTable } from './holidays';

export const DEFAULT_SERVICE_WEEKDAYS: readonly Weekday[] = [1, 2, 3, 4, 5];

/**
 * The weekday a moved working day follows when neither the term nor the national table
 * says (a school-made Saturday with no stated weekday): Monday, with a warning, so the
 * office sees it and states the weekday in the term.
 */
export const FALLBACK_TIMETABLE_WEEKDAY: Weekday = 1;

export type DayReason =
	| 'regular'
	| 'moved-workday'
	| 'school-service'
	| 'weekend'
	| 'holiday'
	| 'school-off'
	| 'not-a-service-weekday'
	| 'before-service'
	| 'outside-term';

export interface CalendarDay {
	date: string;
	service: boolean;
	reason: DayReason;
	/** The real weekday of the date. */
	weekday: Weekday;
	/** The timetable this day follows; only on service days. */
	timetableWeekday?: Weekday;
	/** 国庆节 … for holidays and the working days moved for them. */
	holiday?: string;
	note?: string;
}

export type CalendarWarning =
	| { code: 'no-holiday-data'; year: number }
	| { code: 'timetable-weekday-defaulted'; date: string; weekday: Weekday };

/** Week 1 is survey and enrollment: service starts on the Monday of week 2 unless stated. */
export function serviceFrom(term: Pick<Term, 'start' | 'serviceFrom'>): string {
	return term.serviceFrom ?? addDays(mondayOf(term.start), 7);
}

function overrideFor(term: Pick<Term, 'overrides'>, date: string): CalendarOverride | undefined {
	return (term.overrides ?? []).find((o) => o.date <= date && date <= (o.to ?? o.date));
}

type TermCalendarFacts = Pick<Term, 'start' | 'end' | 'serviceFrom' | 'weekdays' | 'overrides'>;

/** One date of the term, with the warning it raises if any. */
function classify(
	term: TermCalendarFacts,
	date: string,
	table: HolidayTable
): { day: CalendarDay; warning?: CalendarWarning } {
	const weekday = weekdayOf(date);
	const base = { date, weekday };
	if (date < term.start || date > term.end) {
		return { day: { ...base, service: false, reason: 'outside-term' } };
	}
	if (date < serviceFrom(term))
		return { day: { ...base, service: false, reason: 'before-service' } };

	const national = table.day(date);
	const holiday = national.holiday ? { holiday: national.holiday } : {};
	const override = overrideFor(term, date);
	const serviceWeekdays = term.weekdays ?? DEFAULT_SERVICE_WEEKDAYS;
	const note = override?.note ? { note: override.note } : {};

	if (override?.kind === 'off') {
		return { day: { ...base, ...holiday, ...note, service: false, reason: 'school-off' } };
	}

	let reason: DayReason;
	let stated: Weekday | undefined;
	if (override?.kind === 'service') {
		reason = 'school-service';
		stated = override.timetableWeekday ?? national.swapsWeekday;
	} else if (national.kind === 'holiday') {
		return { day: { ...base, ...holiday, service: false, reason: 'holiday' } };
	} else if (national.kind === 'moved-workday') {
		reason = 'moved-workday';
		stated = national.swapsWeekday;
	} else if (national.kind === 'weekend') {
		return { day: { ...base, service: false, reason: 'weekend' } };
	} else {
		reason = 'regular';
	}

	let timetableWeekday: Weekday = weekday;
	let warning: CalendarWarning | undefined;
	if (weekday >= 6 || reason === 'moved-workday') {
		timetableWeekday = stated ?? FALLBACK_TIMETABLE_WEEKDAY;
		if (stated === undefined) {
			warning = { code: 'timetable-weekday-defaulted', date, weekday: timetableWeekday };
		}
	} else if (stated !== undefined) {
		timetableWeekday = stated;
	}
	if (reason === 'regular' && !serviceWeekdays.includes(weekday)) {
		return { day: { ...base, service: false, reason: 'not-a-service-weekday' } };
	}
	if (reason !== 'regular' && !serviceWeekdays.includes(timetableWeekday)) {
		return {
			day: { ...base, ...holiday, ...note, service: false, reason: 'not-a-service-weekday' }
		};
	}
	return {
		day: { ...base, ...holiday, ...note, service: true, reason, timetableWeekday },
		warning
	};
}

/** One date as the term's calendar sees it. */
export function calendarDay(
	term: TermCalendarFacts,
	date: string,
	table: HolidayTable = nationalHolidays
): CalendarDay {
	return classify(term, date, table).day;
}

export interface TermCalendar {
	/** Every date of the term, in order. */
	days: CalendarDay[];
	/** The dates with service, in order. */
	serviceDays: CalendarDay[];
	/** Years the holiday table does not know, and weekdays the fold had to assume. */
	warnings: CalendarWarning[];
}

/** The whole term: its days, its service days and what the office must check. */
export function termCalendar(
	term: TermCalendarFacts,
	table: HolidayTable = nationalHolidays
): TermCalendar {
	const warnings: CalendarWarning[] = [];
	for (let y = Number(term.start.slice(0, 4)); y <= Number(term.end.slice(0, 4)); y++) {
		if (!table.hasYear(y)) warnings.push({ code: 'no-holiday-data', year: y });
	}
	const days: CalendarDay[] = [];
	for (const date of datesBetween(term.start, term.end)) {
		const { day, warning } = classify(term, date, table);
		days.push(day);
		if (warning) warnings.push(warning);
	}
	return { days, serviceDays: days.filter((d) => d.service), warnings };
}
