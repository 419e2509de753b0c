// The enrollment chain (plan 四(五)4): 家长申请 → 班级审核 → 学校复核 → 统筹安排. Each
// step is its own event type, so who may write which step is a rule on the type alone:
// head teachers write class reviews, the office the school review and the placement.
// All live in the class database of the child's 行政班 (`kh-<school>--c--<classId>`), which
// the head teacher of that class and the office read; the fold is in application.ts.
import { z } from 'zod';
import {
	eventIdSchema,
	eventRules,
	eventShape,
	isoDateSchema,
	noteSchema,
	personNameSchema,
	refIdSchema
} from './common.schema';
import { priorityCategorySchema, relationSchema } from './people.schema';

/**
 * 家长申请, as the school enters it from the paper form (parents apply online in a later
 * stage). Withdrawing is a retraction of the application, with a reason.
 */
export const applicationSchema = z
	.object({
		...eventShape('application'),
		adminClassId: refIdSchema,
		studentId: refIdSchema,
		studentName: personNameSchema,
		termId: refIdSchema,
		applicant: z.object({ name: personNameSchema, relation: relationSchema }).strict(),
		appliedOn: isoDateSchema,
		/** The end time chosen: the normal end or extended care (延时托管). */
		endChoice: z.enum(['normal', 'extended']),
		extendedReason: noteSchema.optional(),
		/** Priority categories the family claims; the class review checks them. */
		priorityClaims: z.array(priorityCategorySchema).max(4),
		clubWishes: z.array(refIdSchema).max(5).optional(),
		notes: noteSchema.optional()
	})
	.strict()
	.superRefine(eventRules('application'))
	.refine((d) => d.endChoice !== 'extended' || !!d.extendedReason?.trim(), {
		message: 'extended care is granted on a stated need',
		path: ['extendedReason']
	});
export type Application = z.infer<typeof applicationSchema>;

export const REVIEW_DECISIONS = ['approved', 'rejected', 'returned'] as const;

const reviewShape = {
	adminClassId: refIdSchema,
	applicationId: eventIdSchema,
	decision: z.enum(REVIEW_DECISIONS),
	note: noteSchema.optional()
};

/** A rejection or a return to the family is explained; an approval need not be. */
function decisionNeedsNote(d: { decision: string; note?: string }, ctx: z.RefinementCtx) {
	if (d.decision !== 'approved' && !d.note?.trim()) {
		ctx.addIssue({ code: 'custom', message: 'a rejection or return says why', path: ['note'] });
	}
}

/** 班级审核 by the head teacher. */
export const classReviewSchema = z
	.object({ ...eventShape('class-review'), ...reviewShape })
	.strict()
	.superRefine(eventRules('class-review'))
	.superRefine(decisionNeedsNote);
export type ClassReview = z.infer<typeof classReviewSchema>;

/** 学校复核 by the working group. */
export const schoolReviewSchema = z
	.object({ ...eventShape('school-review'), ...reviewShape })
	.strict()
	.superRefine(eventRules('school-review'))
	.superRefine(decisionNeedsNote);
export type SchoolReview = z.infer<typeof schoolReviewSchema>;

/** 统筹安排: the groups the child is placed in, from a date; enrollments follow it. */
export const placementSchema = z
	.object({
		...eventShape('placement'),
		adminClassId: refIdSchema,
		applicationId: eventIdSchema,
		studentId: refIdSchema,
		groupIds: z.array(refIdSchema).min(1).max(10),
		from: isoDateSchema,
		note: noteSchema.optional()
	})
	.strict()
	.superRefine(eventRules('placement'));
export type Placement = z.infer<typeof placementSchema>;
