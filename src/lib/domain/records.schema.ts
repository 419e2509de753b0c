// What a teacher writes about a session besides moving children: the daily care log
// (看护记录), the weekly activity record (活动记录) and incidents. All are events in the
// group's database; a correction is a new event that supersedes the old one and says why.
import { z } from 'zod';
import {
	attachmentNameSchema,
	eventRules,
	eventShape,
	isoDateSchema,
	isoInstantSchema,
	noteSchema,
	refIdSchema
} from './common.schema';
import { activityKindSchema } from './reference.schema';

export const HOMEWORK_STATES = ['done', 'partial', 'not-done', 'none-set'] as const;

/** 看护记录: one per group and service day; children without a line had nothing to note. */
export const careLogSchema = z
	.object({
		...eventShape('care-log'),
		groupId: refIdSchema,
		date: isoDateSchema,
		activities: z.array(activityKindSchema).min(1, 'record what the group did'),
		children: z
			.array(
				z
					.object({
						studentId: refIdSchema,
						homework: z.enum(HOMEWORK_STATES).optional(),
						note: noteSchema.optional()
					})
					.strict()
			)
			.max(200),
		safetyNotes: noteSchema.optional(),
		summary: noteSchema.optional()
	})
	.strict()
	.superRefine(eventRules('care-log'))
	.refine((d) => new Set(d.children.map((c) => c.studentId)).size === d.children.length, {
		message: 'a child has two lines',
		path: ['children']
	});
export type CareLog = z.infer<typeof careLogSchema>;

/** 活动记录: weekly, with photos as attachments of this document. */
export const activityRecordSchema = z
	.object({
		...eventShape('activity-record'),
		groupId: refIdSchema,
		/** The Monday of the week recorded. */
		weekOf: isoDateSchema,
		title: z.string().min(1).max(80),
		activities: z.array(activityKindSchema).min(1),
		content: z.string().min(1, 'describe the activity').max(4000),
		photos: z.array(attachmentNameSchema).max(20).optional()
	})
	.strict()
	.superRefine(eventRules('activity-record'));
export type ActivityRecord = z.infer<typeof activityRecordSchema>;

export const INCIDENT_KINDS = ['injury', 'illness', 'conflict', 'missing', 'other'] as const;

export const incidentSchema = z
	.object({
		...eventShape('incident'),
		groupId: refIdSchema,
		date: isoDateSchema,
		occurredAt: isoInstantSchema,
		kind: z.enum(INCIDENT_KINDS),
		studentIds: z.array(refIdSchema).min(1, 'name the children involved').max(60),
		description: z.string().trim().min(1, 'describe what happened').max(2000),
		actions: z.string().trim().min(1, 'record what was done').max(2000),
		parentsInformed: z.boolean(),
		parentsInformedAt: isoInstantSchema.optional(),
		followUp: noteSchema.optional()
	})
	.strict()
	.superRefine(eventRules('incident'))
	.refine((d) => d.parentsInformed || !d.parentsInformedAt, {
		message: 'parentsInformedAt given but parentsInformed is false',
		path: ['parentsInformedAt']
	});
export type Incident = z.infer<typeof incidentSchema>;
