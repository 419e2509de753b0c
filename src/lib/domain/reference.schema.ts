// Reference documents of the school database and the student card: the few mutable
// documents the working group edits (school, staff, 行政班, service classes and clubs,
// venues, the weekly timetable). Their ids are `<type>:<refId>`. Nothing here is
// sensitive: every account of the school may read them (the card lives in group databases).
import { z } from 'zod';
import {
	couchMetaShape,
	idRule,
	isoDateSchema,
	minutesOf,
	referenceShape,
	refIdSchema,
	timeOfDaySchema,
	userNameSchema,
	weekdaySchema,
	dateOrderOk
} from './common.schema';

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
		/**
		 * The term document that holds the calendar (`term:<id>`). The term fields above are
		 * a summary for screens that show the school's name and term only; the term document
		 * is the calendar's source of truth.
		 */
		currentTermId: refIdSchema.optional(),
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
		/** Groups this person teaches (带班安排); the account's `groups` mirror it. */
		groupIds: z.array(refIdSchema).optional(),
		/** 行政班 this person heads (班主任); the account's `classes` mirror it. */
		classIds: z.array(refIdSchema).optional(),
		...couchMetaShape
	})
	.strict()
	.refine((d) => d._id === `staff:${d.id}`, { message: '_id must be staff:<id>', path: ['_id'] });
export type Staff = z.infer<typeof staffSchema>;

/** 行政班: the administrative class a child belongs to all day; applications are reviewed per class. */
export const adminClassSchema = z
	.object({
		...referenceShape('admin-class'),
		/** Label as the school writes it, e.g. 三(2)班. */
		name: z.string().min(1).max(20),
		grade: z.number().int().min(1).max(6),
		/** Staff id of the head teacher (班主任) who reviews applications (班级审核). */
		headTeacherId: refIdSchema.optional()
	})
	.strict()
	.superRefine(idRule('admin-class'));
export type AdminClass = z.infer<typeof adminClassSchema>;

export const venueSchema = z
	.object({
		...referenceShape('venue'),
		name: z.string().min(1).max(60),
		building: z.string().max(60).optional(),
		/** How many children the room holds safely; the timetable may not exceed it. */
		capacity: z.number().int().min(1).max(2000).optional()
	})
	.strict()
	.superRefine(idRule('venue'));
export type Venue = z.infer<typeof venueSchema>;

/** service: 课后服务班; club: 社团; extended: 延时托管班 (children handed over after the end). */
export const GROUP_KINDS = ['service', 'club', 'extended'] as const;
/** 每班班额原则上不超过45人 (plan 四(五)5). */
export const SERVICE_CLASS_CAP = 45;

export const groupSchema = z
	.object({
		_id: z.string().regex(/^group:/),
		type: z.literal('group'),
		id: refIdSchema,
		kind: z.enum(GROUP_KINDS),
		name: z.string().min(1).max(60),
		/** Venue label for screens; `venueId` points at the venue document when there is one. */
		venue: z.string().max(60).optional(),
		venueId: refIdSchema.optional(),
		/** Staff ids of the teachers in charge. */
		teacherIds: z.array(refIdSchema),
		capacity: z.number().int().min(1).max(200),
		/** Service classes are formed by the end time parents chose (plan 四(五)5). */
		endTime: timeOfDaySchema.optional(),
		/** 行政班 a service class draws its children from. */
		adminClassIds: z.array(refIdSchema).optional(),
		/** A club's field: 科学, 文体, 艺术, 劳动 … (free text). */
		category: z.string().max(20).optional(),
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

export const ACTIVITY_KINDS = ['homework', 'club', 'reading', 'sports', 'theme', 'other'] as const;
export const activityKindSchema = z.enum(ACTIVITY_KINDS);
export type ActivityKind = z.infer<typeof activityKindSchema>;

/**
 * One line of a group's weekly timetable (周课表). A group meets on a service day when it
 * has a slot for that day's timetable weekday; a moved working day uses the weekday the
 * term names for it (calendar.ts).
 */
export const slotSchema = z
	.object({
		...referenceShape('slot'),
		groupId: refIdSchema,
		weekday: weekdaySchema,
		start: timeOfDaySchema,
		end: timeOfDaySchema,
		activity: activityKindSchema,
		/** What exactly, e.g. 围棋 or 绘本共读. */
		title: z.string().max(60).optional(),
		teacherId: refIdSchema.optional(),
		venueId: refIdSchema.optional(),
		/** Limits the slot to part of the term (a rotating club block). */
		validFrom: isoDateSchema.optional(),
		validTo: isoDateSchema.optional()
	})
	.strict()
	.superRefine(idRule('slot'))
	.refine((d) => minutesOf(d.start) < minutesOf(d.end), {
		message: 'a slot must end after it starts',
		path: ['end']
	})
	.refine((d) => dateOrderOk(d.validFrom, d.validTo), {
		message: 'validTo is before validFrom',
		path: ['validTo']
	});
export type Slot = z.infer<typeof slotSchema>;
