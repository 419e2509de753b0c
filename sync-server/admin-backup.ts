// Backup and restore of one database as JSON lines, for the admin API and the CLI.
// Format (version 1), one JSON object per line:
//   {"kehou":"backup","version":1,"db":…,"createdAt":…,"docCount":…,"updateSeq":…}
//   {"id":…,"leaves":[doc, …]}   every leaf revision (deleted ones too), each with its
//                                `_revisions` history and its attachments inline (base64)
//   {"end":true,"docs":…,"revisions":…,"attachments":…}   a missing trailer = truncated file
// Invariants: a restore writes with `new_edits: false`, so every revision id is kept and
// devices that already hold the data find nothing to exchange (`_revs_diff` answers
// "nothing missing"); it writes only into an empty database. `_local` documents
// (replication checkpoints) are neither saved nor restored: they name sequence numbers of
// the old database, and a device trusting them could skip changes of the new one — without
// them a device's next replication re-compares revisions once and carries on.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { parseDbName } from '../src/lib/domain/index';
import { CouchError } from './http-util';
import type { Doc, PouchDatabase } from './storage';

const BATCH = 100;

export interface BackupStats {
	docs: number;
	revisions: number;
	attachments: number;
}

const headerSchema = z.object({
	kehou: z.literal('backup'),
	version: z.literal(1),
	db: z.string(),
	createdAt: z.string()
});

const leafSchema = z
	.object({
		_id: z.string().min(1),
		_rev: z.string().regex(/^[1-9]\d*-[0-9a-f]+$/),
		_revisions: z.object({ start: z.number().int().positive(), ids: z.array(z.string()).min(1) }),
		_attachments: z.record(z.string(), z.object({ data: z.string() }).loose()).optional()
	})
	.loose();
const entrySchema = z.object({ id: z.string().min(1), leaves: z.array(leafSchema).min(1) });
const trailerSchema = z.object({
	end: z.literal(true),
	docs: z.number().int(),
	revisions: z.number().int(),
	attachments: z.number().int()
});

const countAttachments = (doc: Doc) => Object.keys(doc._attachments ?? {}).length;

/** The backup of `db`, line by line (each line ends with `\n`). */
export async function* backupLines(db: PouchDatabase, name: string): AsyncGenerator<string> {
	const info = await db.info();
	yield (
		JSON.stringify({
			kehou: 'backup',
			version: 1,
			db: name,
			createdAt: new Date().toISOString(),
			docCount: info.doc_count,
			updateSeq: info.update_seq
		}) + '\n'
	);
	const stats: BackupStats = { docs: 0, revisions: 0, attachments: 0 };
	let since: number | string = 0;
	for (;;) {
		// style=all_docs lists every leaf revision of each changed document, deleted or not.
		const page = await db.changes({ since, limit: BATCH, style: 'all_docs', return_docs: true });
		if (page.results.length === 0) break;
		since = page.last_seq;
		const wanted = page.results.flatMap((r) => r.changes.map((c) => ({ id: r.id, rev: c.rev })));
		const got = await db.bulkGet({ docs: wanted, revs: true, attachments: true, binary: false });
		const byId = new Map<string, Doc[]>();
		for (const r of got.results) {
			for (const d of r.docs) {
				if ('ok' in d) byId.set(r.id, [...(byId.get(r.id) ?? []), d.ok]);
			}
		}
		for (const [id, leaves] of byId) {
			stats.docs++;
			stats.revisions += leaves.length;
			for (const leaf of leaves) stats.attachments += countAttachments(leaf);
			yield JSON.stringify({ id, leaves }) + '\n';
		}
		if (page.results.length < BATCH) break;
	}
	yield JSON.stringify({ end: true, ...stats }) + '\n';
}

const bad = (reason: string) => new CouchError(400, 'bad_request', reason);

function parseLine(line: string, n: number): unknown {
	try {
		return JSON.parse(line) as unknown;
	} catch {
		throw bad(`Line ${n} of the backup is not JSON.`);
	}
}

/**
 * Restores a backup into `db`, which must be empty. Throws CouchErrors: 412 when the
 * database holds anything, 400 for a malformed or truncated file (documents before the
 * fault are written: delete the database before trying again).
 */
export async function restoreLines(
	db: PouchDatabase,
	name: string,
	lines: AsyncIterable<string>
): Promise<BackupStats & { from: string }> {
	// Empty means no change ever (deleted documents too); sequences may be opaque strings.
	const { results } = await db.changes({ since: 0, limit: 1 });
	if (results.length > 0) {
		throw new CouchError(
			412,
			'db_not_empty',
			`${name} is not empty: restore into a new database (delete this one first).`
		);
	}
	const stats: BackupStats = { docs: 0, revisions: 0, attachments: 0 };
	let header: z.infer<typeof headerSchema> | null = null;
	let trailer: z.infer<typeof trailerSchema> | null = null;
	let batch: Doc[] = [];
	const flush = async () => {
		if (batch.length === 0) return;
		const out = await db.bulkDocs(batch, { new_edits: false });
		batch = [];
		const failed = out.find((r) => r.error);
		if (failed)
			throw bad(`Could not restore ${failed.id}: ${String(failed.reason ?? failed.name)}`);
	};
	let n = 0;
	for await (const raw of lines) {
		n++;
		const line = raw.trim();
		if (!line) continue;
		if (trailer) throw bad(`Line ${n}: nothing may follow the end of the backup.`);
		const value = parseLine(line, n);
		if (!header) {
			const h = headerSchema.safeParse(value);
			if (!h.success) throw bad('This is not a Kehou backup (version 1): the first line is wrong.');
			header = h.data;
			// Documents name their home database: elsewhere the gate would have refused them.
			if (header.db !== name && parseDbName(name)) {
				throw bad(
					`This is a backup of ${header.db}; restore it as ${header.db}, or into a plain database to inspect it.`
				);
			}
			continue;
		}
		if (typeof value === 'object' && value !== null && 'end' in value) {
			const t = trailerSchema.safeParse(value);
			if (!t.success) throw bad(`Line ${n}: malformed end of backup.`);
			trailer = t.data;
			continue;
		}
		const entry = entrySchema.safeParse(value);
		if (!entry.success) {
			const issue = entry.error.issues[0];
			throw bad(`Line ${n}: ${issue.path.join('.') || '(line)'}: ${issue.message}`);
		}
		stats.docs++;
		for (const leaf of entry.data.leaves) {
			if (leaf._id !== entry.data.id) throw bad(`Line ${n}: a leaf of another document.`);
			stats.revisions++;
			stats.attachments += countAttachments(leaf as Doc);
			batch.push(leaf as Doc);
		}
		if (batch.length >= BATCH) await flush();
	}
	await flush();
	if (!header) throw bad('The backup is empty.');
	if (!trailer) throw bad(`The backup is truncated: ${stats.docs} documents were restored.`);
	if (
		trailer.docs !== stats.docs ||
		trailer.revisions !== stats.revisions ||
		trailer.attachments !== stats.attachments
	) {
		throw bad('The backup is incomplete: its counts do not match its content.');
	}
	return { ...stats, from: header.db };
}

/**
 * Lines of a stream (file or request body), as `restoreLines` reads them. Reading starts
 * when iteration does: readline drops lines emitted before its iterator exists.
 */
export async function* linesOf(input: Readable): AsyncGenerator<string> {
	yield* createInterface({ input, crlfDelay: Infinity });
}
