// CouchDB's structural checks on a written document (`couch_doc:from_json_obj_validate`),
// made before the app's gate and before PouchDB sees the document: PouchDB answers some of
// these cases with a 500 or silently, CouchDB with a 400 (or 413) for the whole request.
import { randomUUID } from 'node:crypto';
import { CouchError, badRequest } from './http-util';
import type { Doc } from './storage';

const SPECIAL = new Set([
	'_id',
	'_rev',
	'_attachments',
	'_deleted',
	'_revisions',
	'_revs_info',
	'_conflicts',
	'_deleted_conflicts',
	'_local_seq'
]);
// Fields CouchDB accepts on input and drops: they describe a read, not a revision.
const READ_ONLY = ['_revs_info', '_conflicts', '_deleted_conflicts', '_local_seq'];

/** A revision as CouchDB parses it: `N-hash` with N ≥ 1. */
export const REV = /^[1-9]\d{0,9}-[0-9a-zA-Z]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const REV_ID = /^[0-9a-zA-Z]+$/;

export const illegalDocId = (reason: string) => new CouchError(400, 'illegal_docid', reason);
const docValidation = (reason: string) => new CouchError(400, 'doc_validation', reason);

/** CouchDB's document id rules: a non-empty string; `_` only for `_design/` and `_local/`. */
export function checkDocId(id: unknown): string {
	if (typeof id !== 'string') throw illegalDocId('Document id must be a string');
	if (id === '') throw illegalDocId('Document id must not be empty');
	if (!id.isWellFormed()) throw illegalDocId('Document id must be valid UTF-8');
	if (id.startsWith('_') && !/^_(design|local)\/./.test(id)) {
		throw illegalDocId('Only reserved document ids may start with underscore.');
	}
	return id;
}

export function checkAttachmentName(name: string): void {
	if (name === '') throw badRequest('Attachment name can\u2019t be empty');
	if (!name.isWellFormed()) throw badRequest('Attachment name is not valid UTF-8');
	if (name.startsWith('_')) {
		throw badRequest(`Attachment name '${name}' starts with prohibited character '_'`);
	}
}

export const attachmentTooLarge = (name: string) =>
	new CouchError(413, 'attachment_too_large', name);

/**
 * Validates one incoming document in place (drops read-only fields, gives a new document an
 * id as CouchDB does); throws CouchDB's error for the whole request.
 */
export function checkDoc(input: unknown, newEdits: boolean, maxAttachmentBytes: number): Doc {
	if (typeof input !== 'object' || input === null || Array.isArray(input)) {
		throw badRequest('Document must be a JSON object');
	}
	const doc = input as Doc;
	for (const key of Object.keys(doc)) {
		if (key.startsWith('_') && !SPECIAL.has(key)) {
			throw docValidation(`Bad special document member: ${key}`);
		}
	}
	for (const key of READ_ONLY) delete doc[key];
	if (doc._id === undefined) {
		if (!newEdits) throw badRequest('Document id must be specified when new_edits is false.');
		doc._id = randomUUID().replaceAll('-', '');
	}
	checkDocId(doc._id);
	if (doc._rev !== undefined && (typeof doc._rev !== 'string' || !REV.test(doc._rev))) {
		throw badRequest('Invalid rev format');
	}
	if (doc._deleted !== undefined && typeof doc._deleted !== 'boolean') {
		throw docValidation('_deleted must be a boolean');
	}
	if (doc._revisions !== undefined) checkRevisions(doc._revisions, doc._rev);
	if (doc._attachments !== undefined) checkAttachments(doc._attachments, maxAttachmentBytes);
	return doc;
}

function checkRevisions(value: unknown, rev: string | undefined): void {
	const r = value as { start?: unknown; ids?: unknown };
	if (typeof r !== 'object' || r === null || Array.isArray(r)) {
		throw docValidation('_revisions must be a JSON object');
	}
	if (!Number.isInteger(r.start) || (r.start as number) < 1) {
		throw docValidation("_revisions.start isn't an integer.");
	}
	if (!Array.isArray(r.ids) || r.ids.length === 0) {
		throw docValidation('_revisions.ids must be a non-empty array');
	}
	if (r.ids.some((id) => typeof id !== 'string' || !REV_ID.test(id))) {
		throw docValidation('RevId isn\u2019t a string');
	}
	if ((r.start as number) - r.ids.length < 0) {
		throw docValidation('_revisions.start is smaller than the number of ids.');
	}
	if (rev !== undefined && rev !== `${String(r.start)}-${String(r.ids[0])}`) {
		throw badRequest('Document rev and _revisions do not match.');
	}
}

function checkAttachments(value: unknown, maxBytes: number): void {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) {
		throw badRequest('_attachments must be a JSON object');
	}
	for (const [name, att] of Object.entries(value as Record<string, unknown>)) {
		checkAttachmentName(name);
		if (typeof att !== 'object' || att === null || Array.isArray(att)) {
			throw badRequest(`Invalid attachment ${name}`);
		}
		const a = att as { stub?: unknown; data?: unknown; content_type?: unknown; follows?: unknown };
		if (a.follows === true) {
			throw new CouchError(
				415,
				'bad_content_type',
				'Attachments that follow need a multipart body, which this server does not accept.'
			);
		}
		if (a.stub === true) continue;
		if (typeof a.data !== 'string' || a.data.length % 4 !== 0 || !BASE64.test(a.data)) {
			throw badRequest(`Invalid attachment data for ${name}`);
		}
		if (a.content_type !== undefined && typeof a.content_type !== 'string') {
			throw badRequest(`Invalid content_type for ${name}`);
		}
		// PouchDB stores no type as `undefined`; CouchDB's default is octet-stream.
		a.content_type ??= 'application/octet-stream';
		const padding = a.data.endsWith('==') ? 2 : a.data.endsWith('=') ? 1 : 0;
		if ((a.data.length / 4) * 3 - padding > maxBytes) throw attachmentTooLarge(name);
	}
}
