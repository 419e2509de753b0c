// Gate and supervision records. Gate registrations (门卫登记) live in the school's gate
// database, which the guard's tablet holds with the handovers to the gate; patrol findings
// (巡课) and evaluations (月调研, 期末评价) live in the supervision database.
import { z } from 'zod';
import {
	eventIdSchema,
	eventRules,
	eventShape,
	isoDateSchema,
	noteSchema,
	personNameSchema,
	phoneSchema,
	refIdSchema
} from './common.schema';

/**
 * A visitor or collecting adult at the gate. A visitor's phone is the visitor's own,
 * given at the gate and kept in the gate database only; children's families' phones
 * never reach the gate.
 */
export const gateRegistrationSchema = z
	.object({
		...eventShape('gate-registration'),
		date: isoDateSchema,
		direction: z.enum(['in', 'out']),
		kind: z.enum(['visitor', 'pickup', 'delivery', 'other']),
		name: personNameSchema,
		phone: phoneSchema.optional(),
		organisation: z.string().max(60).optional(),
		purpose: z.string().trim().min(1, 'record the purpose').max(200),
		/** Whom or where they visit (a staff member, an office). */
		visiting: z.string().max(60).optional(),
		idChecked: z.boolean()
	})
	.strict()
	.superRefine(eventRules('gate-registration'));
export type GateRegistration = z.infer<typeof gateRegistrationSchema>;

/** 巡视、抽查: what a supervisor saw, and its follow-up as a later finding. */
export const patrolSchema = z
	.object({
		...eventShape('patrol'),
		date: isoDateSchema,
		groupId: refIdSchema.optional(),
		venueId: refIdSchema.optional(),
		teacherId: refIdSchema.optional(),
		rating: z.enum(['good', 'acceptable', 'problem']),
		findings: z.string().trim().min(1, 'record the findings').max(2000),
		/** A finding that follows up an earlier one (问题整改). */
		followUpOf: eventIdSchema.optional(),
		resolved: z.boolean().optional()
	})
	.strict()
	.superRefine(eventRules('patrol'))
	.refine((d) => d.rating !== 'problem' || d.resolved !== true || !!d.followUpOf, {
		message: 'only a follow-up can mark a problem resolved',
		path: ['resolved']
	});
export type Patrol = z.infer<typeof patrolSchema>;

/** 月调研 / 期末评价 of a teacher or a group; scores feed the performance review (绩效). */
export const evaluationSchema = z
	.object({
		...eventShape('evaluation'),
		termId: refIdSchema,
		/** `YYYY-MM` for a monthly review, `term` for the end-of-term evaluation. */
		period: z.union([
			z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM'),
			z.literal('term')
		]),
		subject: z.discriminatedUnion('kind', [
			z.object({ kind: z.literal('teacher'), staffId: refIdSchema }).strict(),
			z.object({ kind: z.literal('group'), groupId: refIdSchema }).strict()
		]),
		scores: z.record(z.string().min(1).max(40), z.number().int().min(0).max(100)),
		comments: noteSchema.optional(),
		/** 典型案例: kept for the school's archive. */
		typicalCase: z.boolean().optional()
	})
	.strict()
	.superRefine(eventRules('evaluation'));
export type Evaluation = z.infer<typeof evaluationSchema>;
