import { describe, expect, it } from 'vitest';
import { makeTerm } from '../../../tests/fixtures/factories';
import { calendarDay, serviceFrom, termCalendar } from './calendar';
import { addDays, datesBetween, weekdayOf } from './dates';
import { nationalHolidays, type HolidayTable, type NationalDay } from './holidays';
import { serviceHoursProblems } from './service-hours';

/** A fake national table: ordinary weeks plus the days given. */
function table(days: Record<string, Omit<NationalDay, 'date'>>, years = [2026]): HolidayTable {
	return {
		day: (date) =>
			days[date]
				? { date, ...days[date] }
				: { date, kind: weekdayOf(date) >= 6 ? 'weekend' : 'workday' },
		hasYear: (y) => years.includes(y)
	};
}

describe('dates', () => {
	it('does arithmetic on strings, across month and year ends', () => {
		expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
		expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
		expect(weekdayOf('2026-11-30')).toBe(1);
		expect(weekdayOf('2026-10-11')).toBe(7);
		expect(datesBetween('2026-02-27', '2026-03-02')).toHaveLength(4);
	});
});

describe('term calendar (fake national table)', () => {
	const term = makeTerm({ start: '2026-09-01', end: '2026-09-30' });

	it('starts service on the Monday of week 2 unless the term says otherwise', () => {
		expect(serviceFrom(term)).toBe('2026-09-07');
		expect(serviceFrom({ ...term, serviceFrom: '2026-09-03' })).toBe('2026-09-03');
		const cal = termCalendar(term, table({}));
		expect(cal.serviceDays[0].date).toBe('2026-09-07');
		expect(cal.days.find((d) => d.date === '2026-09-02')?.reason).toBe('before-service');
	});

	it('gives weekdays, not weekends, by default', () => {
		const cal = termCalendar(term, table({}));
		// 7 Sep – 30 Sep 2026: 4 weeks minus the last Thu-Fri = 18 weekdays
		expect(cal.serviceDays).toHaveLength(18);
		expect(cal.serviceDays.every((d) => d.weekday <= 5 && d.timetableWeekday === d.weekday)).toBe(
			true
		);
		expect(cal.warnings).toEqual([]);
	});

	it('takes a holiday on a weekday off', () => {
		const t = table({ '2026-09-16': { kind: 'holiday', holiday: '中秋节' } });
		expect(calendarDay(term, '2026-09-16', t)).toMatchObject({
			service: false,
			reason: 'holiday',
			holiday: '中秋节'
		});
		expect(termCalendar(term, t).serviceDays).toHaveLength(17);
	});

	it("puts a moved working Saturday on the swapped weekday's timetable", () => {
		const t = table({
			'2026-09-19': { kind: 'moved-workday', holiday: '国庆节', swapsWeekday: 3 }
		});
		expect(calendarDay(term, '2026-09-19', t)).toMatchObject({
			service: true,
			reason: 'moved-workday',
			weekday: 6,
			timetableWeekday: 3
		});
	});

	it("lets the term pin a moved day's timetable weekday over the national pairing", () => {
		const t = table({ '2026-09-19': { kind: 'moved-workday', swapsWeekday: 3 } });
		const pinned = makeTerm({
			...term,
			overrides: [{ date: '2026-09-19', kind: 'service', timetableWeekday: 5 }]
		});
		expect(calendarDay(pinned, '2026-09-19', t).timetableWeekday).toBe(5);
	});

	it('defaults an unpaired moved day to Monday and warns', () => {
		const t = table({ '2026-09-19': { kind: 'moved-workday' } });
		const cal = termCalendar(term, t);
		expect(cal.days.find((d) => d.date === '2026-09-19')?.timetableWeekday).toBe(1);
		expect(cal.warnings).toContainEqual({
			code: 'timetable-weekday-defaulted',
			date: '2026-09-19',
			weekday: 1
		});
	});

	it('layers school overrides: a closed range and an extra Saturday', () => {
		const t = makeTerm({
			...term,
			overrides: [
				{ date: '2026-09-21', to: '2026-09-22', kind: 'off', note: '运动会' },
				{ date: '2026-09-26', kind: 'service', timetableWeekday: 2 }
			]
		});
		const cal = termCalendar(t, table({}));
		expect(calendarDay(t, '2026-09-22', table({}))).toMatchObject({
			service: false,
			reason: 'school-off',
			note: '运动会'
		});
		expect(calendarDay(t, '2026-09-26', table({}))).toMatchObject({
			service: true,
			reason: 'school-service',
			timetableWeekday: 2
		});
		expect(cal.serviceDays).toHaveLength(18 - 2 + 1);
	});

	it('keeps a moved day off when its timetable weekday has no service', () => {
		const t = table({ '2026-09-19': { kind: 'moved-workday', swapsWeekday: 3 } });
		const noWednesday = makeTerm({ ...term, weekdays: [1, 2, 4, 5] });
		expect(calendarDay(noWednesday, '2026-09-19', t)).toMatchObject({
			service: false,
			reason: 'not-a-service-weekday'
		});
		expect(calendarDay(noWednesday, '2026-09-09', t).reason).toBe('not-a-service-weekday');
	});

	it('warns for each year the table does not know', () => {
		const cal = termCalendar(makeTerm({ start: '2026-09-01', end: '2027-01-22' }), table({}));
		expect(cal.warnings).toContainEqual({ code: 'no-holiday-data', year: 2027 });
		expect(cal.warnings).not.toContainEqual({ code: 'no-holiday-data', year: 2026 });
	});
});

describe('national table (chinese-days 1.5.7)', () => {
	it('knows 2026 and not 2027', () => {
		expect(nationalHolidays.hasYear(2026)).toBe(true);
		expect(nationalHolidays.hasYear(2027)).toBe(false);
	});

	it('pairs the 2026 National Day working weekends with the weekdays they repay', () => {
		expect(nationalHolidays.day('2026-09-20')).toEqual({
			date: '2026-09-20',
			kind: 'moved-workday',
			holiday: '国庆节',
			swapsWeekday: 2
		});
		expect(nationalHolidays.day('2026-10-10').swapsWeekday).toBe(3);
		expect(nationalHolidays.day('2026-10-01')).toMatchObject({
			kind: 'holiday',
			holiday: '国庆节'
		});
		expect(nationalHolidays.day('2026-10-09').kind).toBe('workday');
		expect(nationalHolidays.day('2026-10-11').kind).toBe('weekend');
	});

	it('gives the autumn 2026 term its holidays and 调休 days', () => {
		const cal = termCalendar(makeTerm({ start: '2026-09-01', end: '2026-10-16' }));
		const service = cal.serviceDays.map((d) => d.date);
		expect(service).toContain('2026-09-20'); // Sunday, works as Tuesday
		expect(service).toContain('2026-10-10'); // Saturday, works as Wednesday
		expect(service).not.toContain('2026-09-25'); // 中秋节, a Friday
		expect(service.filter((d) => d >= '2026-10-01' && d <= '2026-10-07')).toEqual([]);
		expect(cal.days.find((d) => d.date === '2026-10-10')?.timetableWeekday).toBe(3);
		expect(cal.warnings).toEqual([]);
	});
});

describe('service hours (5+2)', () => {
	const ok = { serviceStart: '15:30', serviceEnd: '17:30', officeClose: '17:30' };
	it('accepts two hours ending at office closing, and flags each rule broken', () => {
		expect(serviceHoursProblems(ok)).toEqual([]);
		expect(serviceHoursProblems({ ...ok, serviceStart: '15:31' })).toEqual([
			{ code: 'too-short', field: 'serviceEnd', minutes: 119 }
		]);
		expect(serviceHoursProblems({ ...ok, officeClose: '17:45' }).map((p) => p.code)).toEqual([
			'before-office-close'
		]);
		expect(serviceHoursProblems({ ...ok, extendedCareEnd: '17:00' }).map((p) => p.code)).toEqual([
			'extended-not-after-end'
		]);
	});
});
