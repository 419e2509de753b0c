// The events of a session that move a child: enrollment into a group, arrival, leave
// notice (请假), handover (交接班) and release to an adult. Written once, never edited
// (DESIGN.md decision 2); the session fold (session.ts) turns them into each child's state.
//
// Cross-group events are ONE document stored in BOTH databases (same _id, same revision):
// its home is the database of the side that writes it, and `mirrorDbs` (databases.ts)
// names the other side, where the sync-server copies it. See README.md in this folder.
import { z } from 'zod';
import {
	eventIdSchema,
	eventRules,
	eventShape,
	isoDateSchema,
	isoInstantSchema,
	noteSchema,
	personNameSchema,
	refIdSchema,
	attachmentNameSchema
} from './common.schema';
import { relationSchema } from './people.schema';

/**
 * Membership of a group over time, written by the office into the group's database:
 * `join` from `effective` (first day in the group), `leave` from `effective` (first day
 * no longer in it). Events, not a field on the card, so every change keeps its history.
 */
export const enrollmentSchema = z
	.object({
		...eventShape('enrollment'),
		groupId: refIdSchema,
		studentId: refIdSchema,
		action: z.enum(['join', 'leave']),
		effective: isoDateSchema,
		/** The placement decision this follows (class database), when there is one. */
		placementId: eventIdSchema.optional()
	})
	.strict()
	.superRefine(eventRules('enrollment'));
export type Enrollment = z.infer<typeof enrollmentSchema>;

/** Name and class of a child, as told, for a group that does not hold the child's card. */
export const unlistedChildSchema = z
	.object({ studentName: personNameSchema, className: z.string().trim().min(1).max(20) })
	.strict();

/** Ids of children taken in off the list start with this; real student ids never do. */
export const WALK_IN_PREFIX = 'walkin-';

/**
 * A child arrives in a group: late, or from another group's handover. With `handoverId`
 * it is the receiving side's acceptance and is mirrored to `fromGroupId`'s database, so
 * the sender sees that the child got there.
 */
export const arrivalSchema = z
	.object({
		...eventShape('arrival'),
		groupId: refIdSchema,
		studentId: refIdSchema,
		date: isoDateSchema,
		handoverId: eventIdSchema.optional(),
		fromGroupId: refIdSchema.optional(),
		/**
		 * A child who is not on this group's list turned up (名单外): who they say they are,
		 * name and class only. The teacher's device has no card for them, so `studentId` is
		 * a made-up `walkin-…` id, and `reason` says why they were taken in.
		 */
		unlisted: unlistedChildSchema.optional()
	})
	.strict()
	.superRefine(eventRules('arrival'))
	.refine((d) => !d.unlisted || (!d.handoverId && !!d.reason?.trim()), {
		message: 'a child taken in off the list comes with a reason, not from a handover',
		path: ['reason']
	})
	.refine((d) => !d.unlisted === !d.studentId.startsWith(WALK_IN_PREFIX), {
		message: 'a walk-in id names an unlisted child, and only it does',
		path: ['studentId']
	})
	.refine((d) => !d.handoverId === !d.fromGroupId, {
		message: 'an accepted handover names both handoverId and fromGroupId',
		path: ['fromGroupId']
	})
	.refine((d) => d.fromGroupId !== d.groupId, {
		message: 'a child cannot arrive from the group they are in',
		path: ['fromGroupId']
	});
export type Arrival = z.infer<typeof arrivalSchema>;

export const LEAVE_CAUSES = ['sick', 'personal', 'family', 'school-activity', 'other'] as const;

/**
 * 请假: entered by the head teacher or the office for a child and a date range. Home: the
 * child's class database (the head teacher cannot read group databases); mirrored into
 * each group database in `groupIds`, where the teacher needs it for the roll.
 */
export const leaveSchema = z
	.object({
		...eventShape('leave'),
		adminClassId: refIdSchema,
		studentId: refIdSchema,
		groupIds: z.array(refIdSchema).min(1, 'name the groups the child would attend').max(10),
		/** First and last day away, inclusive. */
		firstDay: isoDateSchema,
		lastDay: isoDateSchema,
		cause: z.enum(LEAVE_CAUSES),
		/** What the family said; required for `other`. */
		details: noteSchema.optional()
	})
	.strict()
	.superRefine(eventRules('leave'))
	.refine((d) => d.firstDay <= d.lastDay, {
		message: 'lastDay is before firstDay',
		path: ['lastDay']
	})
	.refine((d) => d.cause !== 'other' || !!d.details?.trim(), {
		message: 'say what the reason is',
		path: ['details']
	});
export type Leave = z.infer<typeof leaveSchema>;

/** What the gate needs to release a child it receives: names and photos, no phones. */
export const gateHandoverPacketSchema = z
	.object({
		studentName: personNameSchema,
		className: z.string().min(1).max(20),
		pickups: z
			.array(
				z
					.object({
						pickupId: refIdSchema,
						name: personNameSchema,
						relation: relationSchema,
						photo: attachmentNameSchema.optional()
					})
					.strict()
			)
			.max(20)
	})
	.strict();

/**
 * 交接班: a child leaves a group for another group (service class → club) or for the
 * gate. Home: the sending group's database; mirrored into the receiving group's or the
 * gate's database. A handover to the gate carries the packet the guard needs.
 */
export const handoverSchema = z
	.object({
		...eventShape('handover'),
		groupId: refIdSchema,
		studentId: refIdSchema,
		date: isoDateSchema,
		to: z.discriminatedUnion('kind', [
			z.object({ kind: z.literal('group'), groupId: refIdSchema }).strict(),
			z.object({ kind: z.literal('gate') }).strict()
		]),
		/** Who took the child over, as they said it (a colleague's name). */
		receivedBy: personNameSchema.optional(),
		gate: gateHandoverPacketSchema.optional(),
		/**
		 * Who the child is, for a receiving group that may not hold the child's card (a
		 * club's visitor): name and class only, nothing sensitive.
		 */
		child: unlistedChildSchema.optional(),
		note: noteSchema.optional()
	})
	.strict()
	.superRefine(eventRules('handover'))
	.refine((d) => d.to.kind !== 'group' || d.to.groupId !== d.groupId, {
		message: 'a handover goes to another group',
		path: ['to', 'groupId']
	})
	.refine((d) => (d.to.kind === 'gate') === !!d.gate, {
		message: 'a handover to the gate carries the gate packet, and only it does',
		path: ['gate']
	});
export type Handover = z.infer<typeof handoverSchema>;

/**
 * Release to an adult. `pickupId` names the authorisation checked; without one the
 * release is an override, must say why, and is flagged in every fold and report. At the
 * gate (`place: 'gate'`) the guard writes it into the gate database and it is mirrored into
 * the child's group database (`groupId`); in the classroom the teacher writes it into the
 * group's database.
 */
export const releaseSchema = z
	.object({
		...eventShape('release'),
		groupId: refIdSchema,
		studentId: refIdSchema,
		date: isoDateSchema,
		place: z.enum(['group', 'gate']),
		/** The adult who took the child, as seen (kept even if the pickup is edited later). */
		adult: z.object({ name: personNameSchema, relation: relationSchema }).strict(),
		pickupId: refIdSchema.optional(),
		/** Why an adult without an authorisation was allowed to take the child. */
		override: z
			.object({ note: z.string().trim().min(5, 'explain the override') })
			.strict()
			.optional(),
		/** The handover that brought the child to the gate. */
		handoverId: eventIdSchema.optional(),
		releasedAt: isoInstantSchema.optional()
	})
	.strict()
	.superRefine(eventRules('release'))
	.refine((d) => !d.pickupId !== !d.override, {
		message: 'a release names a pickup authorisation or is an override with a note',
		path: ['override']
	});
export type Release = z.infer<typeof releaseSchema>;
