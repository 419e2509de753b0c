// The registry of document types: one schema per `type`, used by the app before a
// write and by the sync-server on every incoming document.
import type { z } from 'zod';
import {
	agreementSchema,
	feeRuleSchema,
	surveyResponseSchema,
	surveySchema,
	waiverSchema
} from './admin.schema';
import {
	applicationSchema,
	classReviewSchema,
	placementSchema,
	schoolReviewSchema
} from './application.schema';
import { termSchema } from './calendar.schema';
import { evaluationSchema, gateRegistrationSchema, patrolSchema } from './oversight.schema';
import { guardianSchema, pickupSchema, studentRecordSchema } from './people.schema';
import { activityRecordSchema, careLogSchema, incidentSchema } from './records.schema';
import {
	adminClassSchema,
	groupSchema,
	schoolSchema,
	slotSchema,
	staffSchema,
	studentSchema,
	venueSchema
} from './reference.schema';
import { markSchema } from './roll.schema';
import {
	arrivalSchema,
	enrollmentSchema,
	handoverSchema,
	leaveSchema,
	releaseSchema
} from './session.schema';

export const documentSchemas = {
	// school database
	school: schoolSchema,
	term: termSchema,
	staff: staffSchema,
	'admin-class': adminClassSchema,
	group: groupSchema,
	venue: venueSchema,
	slot: slotSchema,
	// group databases
	student: studentSchema,
	pickup: pickupSchema,
	enrollment: enrollmentSchema,
	mark: markSchema,
	arrival: arrivalSchema,
	handover: handoverSchema,
	release: releaseSchema,
	'care-log': careLogSchema,
	'activity-record': activityRecordSchema,
	incident: incidentSchema,
	// gate database
	'gate-registration': gateRegistrationSchema,
	// class databases
	application: applicationSchema,
	'class-review': classReviewSchema,
	'school-review': schoolReviewSchema,
	placement: placementSchema,
	leave: leaveSchema,
	// administration database
	'student-record': studentRecordSchema,
	guardian: guardianSchema,
	agreement: agreementSchema,
	'fee-rule': feeRuleSchema,
	waiver: waiverSchema,
	survey: surveySchema,
	'survey-response': surveyResponseSchema,
	// supervision database
	patrol: patrolSchema,
	evaluation: evaluationSchema
} as const;

export type DocType = keyof typeof documentSchemas;
export type AppDoc = z.infer<(typeof documentSchemas)[DocType]>;
/** The document of one type, e.g. `DocOf<'release'>`. */
export type DocOf<T extends DocType> = z.infer<(typeof documentSchemas)[T]>;

/** Event types are written once and never changed (DESIGN.md decision 2). */
export const EVENT_TYPES: ReadonlySet<string> = new Set<DocType>([
	'mark',
	'enrollment',
	'arrival',
	'handover',
	'release',
	'care-log',
	'activity-record',
	'incident',
	'gate-registration',
	'application',
	'class-review',
	'school-review',
	'placement',
	'leave',
	'survey-response',
	'patrol',
	'evaluation'
]);

export type ValidationResult = { ok: true; doc: AppDoc } | { ok: false; reason: string };

/** Validates an app document; the reason names the first failing field. */
export function validateDoc(input: unknown): ValidationResult {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		return { ok: false, reason: 'Document must be a JSON object.' };
	}
	const type = (input as { type?: unknown }).type;
	if (typeof type !== 'string' || !Object.hasOwn(documentSchemas, type)) {
		return { ok: false, reason: `Unknown document type: ${JSON.stringify(type ?? null)}.` };
	}
	const result = documentSchemas[type as DocType].safeParse(input);
	if (result.success) return { ok: true, doc: result.data };
	const issue = result.error.issues[0];
	const path = issue.path.length ? issue.path.join('.') : '(document)';
	return { ok: false, reason: `Invalid ${type} document: ${path}: ${issue.message}` };
}
