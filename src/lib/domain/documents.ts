// The registry of document types: one schema per `type`, used by the app before a
// write and by the sync-server on every incoming document.
import type { z } from 'zod';
import { groupSchema, schoolSchema, staffSchema, studentSchema } from './reference.schema';
import { markSchema } from './roll.schema';

export const documentSchemas = {
	school: schoolSchema,
	staff: staffSchema,
	group: groupSchema,
	student: studentSchema,
	mark: markSchema
} as const;

export type DocType = keyof typeof documentSchemas;
export type AppDoc = z.infer<(typeof documentSchemas)[DocType]>;

/** Event types are written once and never changed. */
export const EVENT_TYPES: ReadonlySet<string> = new Set(['mark']);

export type ValidationResult = { ok: true; doc: AppDoc } | { ok: false; reason: string };

/** Validates an app document; the reason names the first failing field. */
export function validateDoc(input: unknown): ValidationResult {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		return { ok: false, reason: 'Document must be a JSON object.' };
	}
	const type = (input as { type?: unknown }).type;
	if (typeof type !== 'string' || !(type in documentSchemas)) {
		return { ok: false, reason: `Unknown document type: ${JSON.stringify(type ?? null)}.` };
	}
	const result = documentSchemas[type as DocType].safeParse(input);
	if (result.success) return { ok: true, doc: result.data };
	const issue = result.error.issues[0];
	const path = issue.path.length ? issue.path.join('.') : '(document)';
	return { ok: false, reason: `Invalid ${type} document: ${path}: ${issue.message}` };
}
