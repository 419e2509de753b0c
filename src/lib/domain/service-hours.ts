// The daily-hours rules of the plan (二.2, "5+2"): at least two hours of service a day,
// ending no earlier than local office closing time; extended care (延时托管) ends after
// the normal end. Pure; the term schema and the timetable screens both use it.
import { minutesOf } from './common.schema';

/** 每天至少提供2小时课后服务. */
export const MIN_SERVICE_MINUTES = 120;

export interface ServiceHours {
	serviceStart: string;
	serviceEnd: string;
	/** 当地正常工作下班时间: service may not end before it. */
	officeClose: string;
	extendedCareEnd?: string;
}

export type ServiceHoursProblem =
	| { code: 'too-short'; field: 'serviceEnd'; minutes: number }
	| { code: 'before-office-close'; field: 'serviceEnd' }
	| { code: 'extended-not-after-end'; field: 'extendedCareEnd' };

/** Every way these hours break the plan; empty when they keep it. */
export function serviceHoursProblems(h: ServiceHours): ServiceHoursProblem[] {
	const out: ServiceHoursProblem[] = [];
	const minutes = minutesOf(h.serviceEnd) - minutesOf(h.serviceStart);
	if (minutes < MIN_SERVICE_MINUTES) out.push({ code: 'too-short', field: 'serviceEnd', minutes });
	if (minutesOf(h.serviceEnd) < minutesOf(h.officeClose)) {
		out.push({ code: 'before-office-close', field: 'serviceEnd' });
	}
	if (h.extendedCareEnd !== undefined && minutesOf(h.extendedCareEnd) <= minutesOf(h.serviceEnd)) {
		out.push({ code: 'extended-not-after-end', field: 'extendedCareEnd' });
	}
	return out;
}

/** A message per problem, for schema issues and logs (the UI translates the codes). */
export function describeServiceHoursProblem(p: ServiceHoursProblem): string {
	switch (p.code) {
		case 'too-short':
			return `daily service must last at least 2 hours (this is ${p.minutes} minutes)`;
		case 'before-office-close':
			return 'service may not end before office closing time';
		case 'extended-not-after-end':
			return 'extended care must end after the normal service end';
	}
}
