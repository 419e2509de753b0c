// Shared building blocks for every document schema: ids, dates, times and the
// envelope that every event document carries (DESIGN.md decision 2).
import { z } from 'zod';

/** A calendar date in the school's time zone, `YYYY-MM-DD`. */
export const isoDateSchema = z
	.string()
	.regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'expected a date YYYY-MM-DD');

/** An instant with offset, as written by `Date.prototype.toISOString`. */
export const isoInstantSchema = z.iso.datetime({ offset: true });

/** Reference ids are short slugs chosen by the school or the server. */
export const refIdSchema = z
	.string()
	.min(1)
	.max(64)
	.regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lowercase letters, digits and dashes');

/** Event ids are client-made, time-ordered UUIDv7 strings. */
export const eventIdSchema = z
	.string()
	.regex(
		/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
		'expected a UUIDv7'
	);

export const userNameSchema = z
	.string()
	.min(2)
	.max(40)
	.regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lowercase letters, digits, dots, dashes');

/** Fields PouchDB adds on read; tolerated on every document. */
export const couchMetaShape = {
	_rev: z.string().optional(),
	_revisions: z.unknown().optional(),
	_conflicts: z.array(z.string()).optional(),
	_deleted: z.boolean().optional(),
	_attachments: z.record(z.string(), z.unknown()).optional()
};

/** What every event document records about its making. */
export const eventEnvelopeShape = {
	/** Device time when the event was made; kept as written (clocks can be wrong). */
	at: isoInstantSchema,
	deviceId: z.string().min(8).max(64),
	/** The signed-in user who made it; the server insists it is the session's user. */
	author: userNameSchema,
	/** The event id this one corrects, if any. */
	supersedes: eventIdSchema.optional(),
	reason: z.string().max(500).optional(),
	/**
	 * With `supersedes`: this correction withdraws the named event and states nothing of its
	 * own (a wrong tap). It does not bring back what the withdrawn event superseded.
	 */
	retracted: z.literal(true).optional()
};

/** A local time of day, `HH:MM` (24-hour). */
export const timeOfDaySchema = z
	.string()
	.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time HH:MM (00:00–23:59)');

/** Minutes since midnight of an `HH:MM` time; the schemas guarantee the format. */
export function minutesOf(time: string): number {
	return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/** A person's name as written on school forms (Chinese or pinyin). */
export const personNameSchema = z.string().trim().min(1, 'a name is required').max(40);

/** A mainland mobile or landline number; kept only in databases that need it. */
export const phoneSchema = z
	.string()
	.regex(/^\+?\d[\d -]{5,18}\d$/, 'expected a phone number (digits, spaces, dashes)');

/** The name of a PouchDB attachment on the same document (a photo), never a URL or path. */
export const attachmentNameSchema = z
	.string()
	.min(1)
	.max(120)
	.regex(/^[^/\\:?#]+$/, 'expected an attachment name, not a path or URL');

/** Free text written by staff; bounded so one document stays small. */
export const noteSchema = z.string().max(1000);

/** Weekday number as ISO 8601 counts it: 1 = Monday … 7 = Sunday. */
export const weekdaySchema = z.number().int().min(1).max(7);
export type Weekday = z.infer<typeof weekdaySchema>;

/** The fields every reference document (`<type>:<refId>`) starts with. */
export function referenceShape<T extends string>(type: T) {
	return {
		_id: z.string().regex(new RegExp(`^${type}:`), `_id must start with ${type}:`),
		type: z.literal(type),
		id: refIdSchema,
		...couchMetaShape
	};
}

/** The fields every event document (`<type>:<uuidv7>`) starts with. */
export function eventShape<T extends string>(type: T) {
	return {
		_id: z.string().regex(new RegExp(`^${type}:`), `_id must start with ${type}:`),
		type: z.literal(type),
		id: eventIdSchema,
		...eventEnvelopeShape,
		...couchMetaShape
	};
}

interface IdFacts {
	_id: string;
	id: string;
}

/** `_id` must be `<type>:<id>`: the id is what other documents point at. */
export function idRule(type: string) {
	return (d: IdFacts, ctx: z.RefinementCtx) => {
		if (d._id !== `${type}:${d.id}`) {
			ctx.addIssue({ code: 'custom', message: `_id must be ${type}:<id>`, path: ['_id'] });
		}
	};
}

interface EventFacts extends IdFacts {
	supersedes?: string;
	reason?: string;
	retracted?: true;
}

/**
 * The rules every event obeys besides its own: id shape and sane corrections. A retraction
 * always says why; other corrections must too unless `routineCorrections` (a roll-call
 * re-tap is a correction made every minute and needs no explanation).
 */
export function eventRules(type: string, { routineCorrections = false } = {}) {
	return (d: EventFacts, ctx: z.RefinementCtx) => {
		if (d._id !== `${type}:${d.id}`) {
			ctx.addIssue({ code: 'custom', message: `_id must be ${type}:<id>`, path: ['_id'] });
		}
		if (d.supersedes !== undefined && d.supersedes === d.id) {
			ctx.addIssue({
				code: 'custom',
				message: 'an event cannot supersede itself',
				path: ['supersedes']
			});
		}
		if (d.retracted && !d.supersedes) {
			ctx.addIssue({
				code: 'custom',
				message: 'a retraction must name the event it withdraws',
				path: ['supersedes']
			});
		}
		if (d.supersedes && (d.retracted || !routineCorrections) && !d.reason?.trim()) {
			ctx.addIssue({
				code: 'custom',
				message: 'a correction must say why',
				path: ['reason']
			});
		}
	};
}

/** `from` ≤ `to` for optional date ranges (ISO dates compare as strings). */
export function dateOrderOk(from?: string, to?: string): boolean {
	return !from || !to || from <= to;
}
