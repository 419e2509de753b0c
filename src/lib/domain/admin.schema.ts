// Administration records (admin database, read by the working group and leadership
// only): safety agreements, fee rules and waivers, surveys and their responses. These are
// reference documents the office edits, except survey responses, which are events.
import { z } from 'zod';
import {
	dateOrderOk,
	eventRules,
	eventShape,
	idRule,
	isoDateSchema,
	noteSchema,
	personNameSchema,
	referenceShape,
	refIdSchema,
	userNameSchema
} from './common.schema';
import { hardshipBasisSchema, relationSchema } from './people.schema';

/** 自愿参加课后服务安全责任状: once per term per child (plan 五.1). */
export const agreementSchema = z
	.object({
		...referenceShape('agreement'),
		studentId: refIdSchema,
		termId: refIdSchema,
		signer: z.object({ name: personNameSchema, relation: relationSchema }).strict(),
		signedOn: isoDateSchema,
		/** Version of the agreement text signed, e.g. 2026秋-v1. */
		version: z.string().min(1).max(30),
		/** Whether the family has accident insurance (recommended, not required). */
		insurance: z.boolean(),
		/** Scan of the signed page, an attachment of this document. */
		scan: z.string().max(120).optional()
	})
	.strict()
	.superRefine(idRule('agreement'));
export type Agreement = z.infer<typeof agreementSchema>;

/** The id the office gives a child's agreement for a term: one per term and child. */
export const agreementId = (termId: string, studentId: string) => `${termId}--${studentId}`;

/** Amounts are in fen (分), integers, so sums are exact. */
export const feeRuleSchema = z
	.object({
		...referenceShape('fee-rule'),
		termId: refIdSchema,
		name: z.string().min(1).max(60),
		appliesTo: z.enum(['service', 'extended-care']),
		amountFen: z.number().int().min(0).max(10_000_000),
		per: z.enum(['term', 'month', 'day'])
	})
	.strict()
	.superRefine(idRule('fee-rule'));
export type FeeRule = z.infer<typeof feeRuleSchema>;

/** 减免: 建档立卡 and 低保 families, or another basis the office records. */
export const waiverSchema = z
	.object({
		...referenceShape('waiver'),
		studentId: refIdSchema,
		termId: refIdSchema,
		basis: hardshipBasisSchema,
		/** 100 = full waiver. */
		percent: z.number().int().min(1).max(100),
		approvedBy: userNameSchema,
		approvedOn: isoDateSchema,
		note: noteSchema.optional()
	})
	.strict()
	.superRefine(idRule('waiver'))
	.refine((d) => d.basis !== 'other' || !!d.note?.trim(), {
		message: 'a waiver on another basis says which',
		path: ['note']
	});
export type Waiver = z.infer<typeof waiverSchema>;

/** What a fee comes to after a waiver, in fen, rounded down in the family's favour. */
export function feeAfterWaiver(amountFen: number, waiver?: Pick<Waiver, 'percent'>): number {
	if (!waiver) return amountFen;
	return Math.floor((amountFen * (100 - waiver.percent)) / 100);
}

const questionSchema = z
	.object({
		key: z.string().regex(/^[a-z0-9-]{1,40}$/, 'expected a short key'),
		text: z.string().min(1).max(300),
		kind: z.enum(['choice', 'multi', 'scale', 'text']),
		options: z.array(z.string().min(1).max(100)).max(20).optional()
	})
	.strict()
	.refine((q) => (q.kind === 'choice' || q.kind === 'multi') === !!q.options?.length, {
		message: 'choice questions have options, others do not',
		path: ['options']
	});

/** 需求调查 (week 1), satisfaction survey and 调研评估 (term end). */
export const surveySchema = z
	.object({
		...referenceShape('survey'),
		termId: refIdSchema,
		kind: z.enum(['needs', 'satisfaction', 'review']),
		title: z.string().min(1).max(100),
		opens: isoDateSchema,
		closes: isoDateSchema,
		questions: z.array(questionSchema).min(1).max(50)
	})
	.strict()
	.superRefine(idRule('survey'))
	.refine((d) => dateOrderOk(d.opens, d.closes), {
		message: 'closes is before opens',
		path: ['closes']
	})
	.refine((d) => new Set(d.questions.map((q) => q.key)).size === d.questions.length, {
		message: 'two questions share a key',
		path: ['questions']
	});
export type Survey = z.infer<typeof surveySchema>;

/** One family's (or one teacher's) answers, keyed by question key. */
export const surveyResponseSchema = z
	.object({
		...eventShape('survey-response'),
		surveyId: refIdSchema,
		studentId: refIdSchema.optional(),
		answers: z.record(
			z.string().regex(/^[a-z0-9-]{1,40}$/),
			z.union([z.string().max(2000), z.number(), z.array(z.string().max(100)).max(20)])
		)
	})
	.strict()
	.superRefine(eventRules('survey-response'));
export type SurveyResponse = z.infer<typeof surveyResponseSchema>;
