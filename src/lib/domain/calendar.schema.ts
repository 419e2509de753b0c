// The term document (学期): its dates, the weekdays with service, daily hours, and the
// school's own overrides on top of the national holiday table. The calendar fold
// (calendar.ts) turns it into the term's service days.
import { z } from 'zod';
import {
	idRule,
	isoDateSchema,
	noteSchema,
	referenceShape,
	timeOfDaySchema,
	weekdaySchema
} from './common.schema';
import { describeServiceHoursProblem, serviceHoursProblems } from './service-hours';

/**
 * A school override of one date or a range: `off` closes service (sports day, exams,
 * a local closure); `service` opens it on a day the national table leaves off (a make-up
 * day the district orders). `timetableWeekday` says which weekday's timetable a working
 * Saturday or Sunday follows; it also pins the weekday of a national 调休 working day.
 */
export const calendarOverrideSchema = z
	.object({
		date: isoDateSchema,
		/** Last day of a range, inclusive. */
		to: isoDateSchema.optional(),
		kind: z.enum(['off', 'service']),
		timetableWeekday: weekdaySchema.optional(),
		note: noteSchema.optional()
	})
	.strict()
	.refine((o) => !o.to || o.date <= o.to, { message: 'to is before date', path: ['to'] })
	.refine((o) => o.kind === 'service' || o.timetableWeekday === undefined, {
		message: 'only a service day follows a timetable weekday',
		path: ['timetableWeekday']
	});
export type CalendarOverride = z.infer<typeof calendarOverrideSchema>;

export const termSchema = z
	.object({
		...referenceShape('term'),
		name: z.string().min(1).max(60),
		start: isoDateSchema,
		end: isoDateSchema,
		/**
		 * First day of service. Default: the Monday of the term's second week — week 1 is
		 * the needs survey and enrollment (plan 四(五)1, 7).
		 */
		serviceFrom: isoDateSchema.optional(),
		/** Weekdays with service; default Monday–Friday ("5+2"). */
		weekdays: z.array(weekdaySchema).min(1).max(7).optional(),
		serviceStart: timeOfDaySchema,
		serviceEnd: timeOfDaySchema,
		officeClose: timeOfDaySchema,
		extendedCareEnd: timeOfDaySchema.optional(),
		overrides: z.array(calendarOverrideSchema).max(200).optional()
	})
	.strict()
	.superRefine(idRule('term'))
	.superRefine((t, ctx) => {
		if (t.end < t.start) {
			ctx.addIssue({ code: 'custom', message: 'the term ends before it starts', path: ['end'] });
		}
		if (t.serviceFrom && (t.serviceFrom < t.start || t.serviceFrom > t.end)) {
			ctx.addIssue({
				code: 'custom',
				message: 'serviceFrom must fall inside the term',
				path: ['serviceFrom']
			});
		}
		for (const p of serviceHoursProblems(t)) {
			ctx.addIssue({ code: 'custom', message: describeServiceHoursProblem(p), path: [p.field] });
		}
		const seen = new Set<string>();
		(t.overrides ?? []).forEach((o, i) => {
			if (o.date < t.start || (o.to ?? o.date) > t.end) {
				ctx.addIssue({
					code: 'custom',
					message: 'an override must fall inside the term',
					path: ['overrides', i, 'date']
				});
			}
			if (seen.has(o.date)) {
				ctx.addIssue({
					code: 'custom',
					message: `two overrides for ${o.date}`,
					path: ['overrides', i, 'date']
				});
			}
			seen.add(o.date);
		});
	});
export type Term = z.infer<typeof termSchema>;
