// Reference documents: the few mutable documents administrators edit (students,
// staff, service classes). Their ids are `<type>:<refId>`.
import { z } from 'zod';
import { couchMetaShape, isoDateSchema, refIdSchema, userNameSchema } from './common.schema';

export const ROLES = [
	'teacher',
	'head-teacher',
	'working-group',
	'supervisor',
	'leadership',
	'gate',
	'server-admin'
] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const schoolSchema = z
	.object({
		_id: z.literal('school'),
		type: z.literal('school'),
		name: z.string().min(1).max(100),
		termName: z.string().min(1).max(60),
		termStart: isoDateSchema,
		termEnd: isoDateSchema,
		/** Daily service hours, `HH:MM` local time. */
		serviceStart: z.string().regex(/^\d{2}:\d{2}$/),
		serviceEnd: z.string().regex(/^\d{2}:\d{2}$/),
		...couchMetaShape
	})
	.strict();
export type School = z.infer<typeof schoolSchema>;

export const staffSchema = z
	.object({
		_id: z.string().regex(/^staff:/),
		type: z.literal('staff'),
		id: refIdSchema,
		name: z.string().min(1).max(40),
		/** The sign-in name, if this member of staff has an account. */
		userName: userNameSchema.optional(),
		roles: z.array(roleSchema),
		...couchMetaShape
	})
	.strict()
	.refine((d) => d._id === `staff:${d.id}`, { message: '_id must be staff:<id>', path: ['_id'] });
export type Staff = z.infer<typeof staffSchema>;

export const GROUP_KINDS = ['service', 'club'] as const;
export const SERVICE_CLASS_CAP = 45;

export const groupSchema = z
	.object({
		_id: z.string().regex(/^group:/),
		type: z.literal('group'),
		id: refIdSchema,
		kind: z.enum(GROUP_KINDS),
		name: z.string().min(1).max(60),
		venue: z.string().max(60).optional(),
		/** Staff ids of the teachers in charge. */
		teacherIds: z.array(refIdSchema),
		capacity: z.number().int().min(1).max(200),
		...couchMetaShape
	})
	.strict()
	.refine((d) => d._id === `group:${d.id}`, { message: '_id must be group:<id>', path: ['_id'] })
	.refine((d) => d.kind !== 'service' || d.capacity <= SERVICE_CLASS_CAP, {
		message: `a service class holds at most ${SERVICE_CLASS_CAP} students`,
		path: ['capacity']
	});
export type Group = z.infer<typeof groupSchema>;

export const GENDERS = ['f', 'm'] as const;

/**
 * A student's card as a group's database holds it: only what the teacher of that
 * group needs to take roll (no guardians, phones or priority categories).
 */
export const studentSchema = z
	.object({
		_id: z.string().regex(/^student:/),
		type: z.literal('student'),
		id: refIdSchema,
		name: z.string().min(1).max(40),
		gender: z.enum(GENDERS),
		studentNo: z.string().regex(/^\d{4,12}$/, 'expected 4–12 digits'),
		/** Administrative class (行政班) label, e.g. 三(2)班. */
		className: z.string().min(1).max(20),
		groupId: refIdSchema,
		...couchMetaShape
	})
	.strict()
	.refine((d) => d._id === `student:${d.id}`, {
		message: '_id must be student:<id>',
		path: ['_id']
	});
export type Student = z.infer<typeof studentSchema>;
