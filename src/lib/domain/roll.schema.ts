// The roll-call mark (点名考勤): one event per tap, never edited (DESIGN.md decision 2).
import { z } from 'zod';
import {
	couchMetaShape,
	eventEnvelopeShape,
	eventIdSchema,
	eventRules,
	isoDateSchema,
	isoInstantSchema,
	refIdSchema
} from './common.schema';

export const MARK_STATUSES = ['present', 'late', 'leave', 'absent'] as const;
export const markStatusSchema = z.enum(MARK_STATUSES);
export type MarkStatus = z.infer<typeof markStatusSchema>;

export const markSchema = z
	.object({
		_id: z.string().regex(/^mark:/),
		type: z.literal('mark'),
		id: eventIdSchema,
		groupId: refIdSchema,
		studentId: refIdSchema,
		/** The service day this mark belongs to, in the school's calendar. */
		date: isoDateSchema,
		status: markStatusSchema,
		/** For `late`: when the child actually arrived. */
		arrivedAt: isoInstantSchema.optional(),
		...eventEnvelopeShape,
		...couchMetaShape
	})
	.strict()
	.superRefine(eventRules('mark', { routineCorrections: true }));
export type Mark = z.infer<typeof markSchema>;
