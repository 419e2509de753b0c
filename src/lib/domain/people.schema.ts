// The people around a child, split by who may see what (DESIGN.md decision 3).
// Administration database: the full student record (priority categories, hardship,
// health notes) and guardians with their phone numbers. Group databases: the student card
// (reference.schema.ts) and `pickup` authorisations — the adult's name, relation, optional
// photo and validity, and deliberately no phone: releasing a child needs to recognise the
// adult, not to call them; calling a family goes through the office, which holds phones.
// The split is structural: `pickup` is `.strict()` and has no phone field, so a phone
// number sent to a group database is refused by the schema, not by good intentions.
// No field has a zod default: the server stores documents as sent, so a default would make
// the inferred type promise a field the stored document lacks.
import { z } from 'zod';
import {
	attachmentNameSchema,
	dateOrderOk,
	idRule,
	isoDateSchema,
	noteSchema,
	personNameSchema,
	phoneSchema,
	referenceShape,
	refIdSchema
} from './common.schema';
import { GENDERS } from './reference.schema';

/** Served first (plan 四(二)): 特殊儿童, 留守儿童, 随迁子女, 家庭经济困难. */
export const PRIORITY_CATEGORIES = ['special-needs', 'left-behind', 'migrant', 'hardship'] as const;
export const priorityCategorySchema = z.enum(PRIORITY_CATEGORIES);
export type PriorityCategory = z.infer<typeof priorityCategorySchema>;

/** How a hardship family is registered: 建档立卡, 低保, or another basis the office notes. */
export const HARDSHIP_BASES = ['jdlk', 'dibao', 'other'] as const;
export const hardshipBasisSchema = z.enum(HARDSHIP_BASES);
export type HardshipBasis = z.infer<typeof hardshipBasisSchema>;

export const RELATIONS = [
	'mother',
	'father',
	'grandmother',
	'grandfather',
	'maternal-grandmother',
	'maternal-grandfather',
	'sibling',
	'relative',
	'neighbour',
	'other'
] as const;
export const relationSchema = z.enum(RELATIONS);
export type Relation = z.infer<typeof relationSchema>;

/**
 * The school's record of a child (admin database). Its `id` is the student's id, the same
 * as the card's, so `student-record:<id>` and `student:<id>` name one child.
 */
export const studentRecordSchema = z
	.object({
		...referenceShape('student-record'),
		name: personNameSchema,
		gender: z.enum(GENDERS),
		studentNo: z.string().regex(/^\d{4,12}$/, 'expected 4–12 digits'),
		adminClassId: refIdSchema,
		/** 行政班 label as on the card, e.g. 三(2)班. */
		className: z.string().min(1).max(20),
		priorities: z.array(priorityCategorySchema).max(PRIORITY_CATEGORIES.length),
		hardshipBasis: hardshipBasisSchema.optional(),
		healthNotes: noteSchema.optional(),
		notes: noteSchema.optional()
	})
	.strict()
	.superRefine(idRule('student-record'))
	.refine((d) => new Set(d.priorities).size === d.priorities.length, {
		message: 'a priority category is listed twice',
		path: ['priorities']
	})
	.refine((d) => !d.hardshipBasis || d.priorities.includes('hardship'), {
		message: 'a hardship basis needs the hardship priority category',
		path: ['hardshipBasis']
	});
export type StudentRecord = z.infer<typeof studentRecordSchema>;

/** A guardian or other contact of a child (admin database): the only place phones live. */
export const guardianSchema = z
	.object({
		...referenceShape('guardian'),
		studentId: refIdSchema,
		name: personNameSchema,
		relation: relationSchema,
		phone: phoneSchema,
		/** Called first when something happens. */
		primaryContact: z.boolean(),
		/** May collect the child; the office then writes a `pickup` into the child's groups. */
		mayPickUp: z.boolean(),
		photo: attachmentNameSchema.optional(),
		notes: noteSchema.optional()
	})
	.strict()
	.superRefine(idRule('guardian'));
export type Guardian = z.infer<typeof guardianSchema>;

/**
 * An adult authorised to collect a child from one group (group database). A standing
 * authorisation has an optional validity range; a one-time delegate (a neighbour, this
 * Thursday) has `onDate` instead.
 */
export const pickupSchema = z
	.object({
		...referenceShape('pickup'),
		/** The group database this copy lives in. */
		groupId: refIdSchema,
		studentId: refIdSchema,
		name: personNameSchema,
		relation: relationSchema,
		/** The guardian record it was made from, when there is one (admin database). */
		guardianId: refIdSchema.optional(),
		photo: attachmentNameSchema.optional(),
		validFrom: isoDateSchema.optional(),
		validTo: isoDateSchema.optional(),
		onDate: isoDateSchema.optional()
	})
	.strict()
	.superRefine(idRule('pickup'))
	.refine((d) => dateOrderOk(d.validFrom, d.validTo), {
		message: 'validTo is before validFrom',
		path: ['validTo']
	})
	.refine((d) => !d.onDate || (!d.validFrom && !d.validTo), {
		message: 'a one-time delegate has onDate, not a validity range',
		path: ['onDate']
	});
export type Pickup = z.infer<typeof pickupSchema>;
