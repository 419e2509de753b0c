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
import { weekdayOf } from './dates';
import { activityKindSchema } from './reference.schema';

/**
 * Photos are JPEG attachments of the event document itself, compressed on the device and
 * written with it, so a record and its photos reach the server in one write or not at all.
 * Bounded so that one document stays well inside the sync-server's attachment and body
 * limits (KEHOU_MAX_ATTACHMENT_BYTES, KEHOU_MAX_BODY_BYTES).
 */
export const PHOTO_MAX_BYTES = 400 * 1024;
export const PHOTO_MAX_SIDE = 1600;
export const PHOTO_TYPE = 'image/jpeg';
/** 九宫格: at most nine photos on a weekly record, four on a day's care log. */
export const ACTIVITY_PHOTOS_MAX = 9;
export const CARE_LOG_PHOTOS_MAX = 4;

const photosSchema = (max: number) =>
	z
		.array(attachmentNameSchema)
		.max(max, `at most ${max} photos`)
		.refine((names) => new Set(names).size === names.length, 'a photo is listed twice')
		.optional();

/** Bytes of an attachment as written (inline base64 `data`) or as stored (a stub's `length`). */
export function attachmentBytes(att: unknown): number | null {
	if (typeof att !== 'object' || att === null) return null;
	const a = att as { data?: unknown; length?: unknown };
	if (typeof a.data === 'string') {
		const padding = a.data.endsWith('==') ? 2 : a.data.endsWith('=') ? 1 : 0;
		return Math.floor((a.data.length / 4) * 3) - padding;
	}
	return typeof a.length === 'number' ? a.length : null;
}

interface PhotoFacts {
	photos?: string[];
	_attachments?: Record<string, unknown>;
}

/**
 * A record's attachments are exactly its listed photos, each a JPEG within PHOTO_MAX_BYTES:
 * no photo named without its image, no image the record does not list.
 */
export function photoRules(d: PhotoFacts, ctx: z.RefinementCtx) {
	const listed = d.photos ?? [];
	const attached = d._attachments ?? {};
	for (const name of listed) {
		const att = attached[name] as { content_type?: unknown } | undefined;
		if (!att) {
			ctx.addIssue({ code: 'custom', message: `photo ${name} is not attached`, path: ['photos'] });
			continue;
		}
		if (att.content_type !== PHOTO_TYPE) {
			ctx.addIssue({
				code: 'custom',
				message: `photo ${name} must be ${PHOTO_TYPE}`,
				path: ['_attachments', name]
			});
		}
		const bytes = attachmentBytes(att);
		if (bytes === null || bytes > PHOTO_MAX_BYTES) {
			ctx.addIssue({
				code: 'custom',
				message: `photo ${name} is ${bytes === null ? 'unreadable' : `${Math.ceil(bytes / 1024)} KB`}; at most ${PHOTO_MAX_BYTES / 1024} KB`,
				path: ['_attachments', name]
			});
		}
	}
	for (const name of Object.keys(attached)) {
		if (!listed.includes(name)) {
			ctx.addIssue({
				code: 'custom',
				message: `attachment ${name} is not one of the photos`,
				path: ['_attachments', name]
			});
		}
	}
}

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
		summary: noteSchema.optional(),
		photos: photosSchema(CARE_LOG_PHOTOS_MAX)
	})
	.strict()
	.superRefine(eventRules('care-log'))
	.superRefine(photoRules)
	.refine((d) => new Set(d.children.map((c) => c.studentId)).size === d.children.length, {
		message: 'a child has two lines',
		path: ['children']
	});
export type CareLog = z.infer<typeof careLogSchema>;

/**
 * 活动记录: weekly, with photos as attachments of this document. An amendment is a new
 * record that supersedes the old one and says why (`supersedes`, `reason`).
 */
export const activityRecordSchema = z
	.object({
		...eventShape('activity-record'),
		groupId: refIdSchema,
		/** The Monday of the week recorded. */
		weekOf: isoDateSchema.refine((d) => weekdayOf(d) === 1, 'weekOf must be a Monday'),
		title: z.string().trim().min(1, 'give the record a title').max(80),
		activities: z
			.array(activityKindSchema)
			.min(1, 'record what the group did')
			.refine((k) => new Set(k).size === k.length, 'an activity kind is listed twice'),
		content: z.string().trim().min(1, 'describe the activity').max(4000),
		/** What went well, a child's progress worth keeping (亮点). */
		highlights: z.string().trim().max(2000).optional(),
		/** The student work shown (学生作品展示): what was made and by whom. */
		studentWork: z.string().trim().max(2000).optional(),
		photos: photosSchema(ACTIVITY_PHOTOS_MAX)
	})
	.strict()
	.superRefine(eventRules('activity-record'))
	.superRefine(photoRules);
export type ActivityRecord = z.infer<typeof activityRecordSchema>;

export const INCIDENT_KINDS = ['injury', 'illness', 'conflict', 'missing', 'other'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

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
	.refine((d) => new Set(d.studentIds).size === d.studentIds.length, {
		message: 'a child is named twice',
		path: ['studentIds']
	})
	.refine((d) => d.parentsInformed || !d.parentsInformedAt, {
		message: 'parentsInformedAt given but parentsInformed is false',
		path: ['parentsInformedAt']
	})
	.refine((d) => !d.parentsInformed || !!d.parentsInformedAt, {
		message: 'say when the parents were told',
		path: ['parentsInformedAt']
	});
export type Incident = z.infer<typeof incidentSchema>;
