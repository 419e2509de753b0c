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
	reason: z.string().max(500).optional()
};
