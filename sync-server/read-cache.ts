// Serialised answers of read requests that are pure functions of one database's state
// (`_changes` pages, `_bulk_get`), kept per database and update sequence. Many tablets
// pulling the same database at the same state (the school's database at the start of a
// term, every tablet at once) then share one read of LevelDB and one string, instead of
// each building its own object tree and its own copy of the JSON.
// Invariants: an entry is keyed by the database's update_seq read before the answer was
// computed, and stored only if the sequence was unchanged afterwards, so it is exactly the
// answer a fresh computation at that sequence gives. Sequences only grow while a database
// exists; a deleted database drops its entries (`drop`). Only the LevelDB store uses it:
// with a shared CouchDB store other processes write without telling this one.
import { createHash } from 'node:crypto';
import type { PouchDatabase } from './storage';

/** Total size of the kept answers (UTF-16 code units ≈ bytes / 2 for JSON). */
const MAX_CHARS = 8 * 1024 * 1024;
/** Larger answers are not kept (a full page of big documents is rarely asked twice). */
const MAX_ENTRY_CHARS = 2 * 1024 * 1024;

export class ReadCache {
	/** Least recently used first (a Map keeps insertion order). */
	private readonly entries = new Map<string, { db: string; text: string }>();
	/** Keys per database, so that a write drops its database's answers at once. */
	private readonly byDb = new Map<string, Set<string>>();
	/** Answers being computed: identical requests share them. */
	private readonly inflight = new Map<string, Promise<string>>();
	private chars = 0;
	readonly stats = { hits: 0, misses: 0 };

	constructor(private readonly maxChars = MAX_CHARS) {}

	/**
	 * The answer to `request` on `name` at its current state: from the cache when this
	 * state was answered before, else computed by `compute` (and kept when the database did
	 * not change meanwhile).
	 */
	async answer(
		name: string,
		db: PouchDatabase,
		request: string,
		compute: () => Promise<string>
	): Promise<string> {
		const before = (await db.info()).update_seq;
		const key = createHash('sha256')
			.update(`${name}\0${String(before)}\0${request}`)
			.digest('base64url');
		const hit = this.entries.get(key);
		if (hit) {
			this.stats.hits++;
			this.entries.delete(key);
			this.entries.set(key, hit);
			return hit.text;
		}
		// Tablets that start together ask at the same instant: they wait for one computation.
		const pending = this.inflight.get(key);
		if (pending) {
			this.stats.hits++;
			return pending;
		}
		this.stats.misses++;
		const computing = compute();
		this.inflight.set(key, computing);
		let text: string;
		try {
			text = await computing;
		} finally {
			this.inflight.delete(key);
		}
		if (
			text.length <= MAX_ENTRY_CHARS &&
			!this.entries.has(key) &&
			(await db.info()).update_seq === before
		) {
			this.entries.set(key, { db: name, text });
			let keys = this.byDb.get(name);
			if (!keys) this.byDb.set(name, (keys = new Set()));
			keys.add(key);
			this.chars += text.length;
			this.evict();
		}
		return text;
	}

	/** Forgets every answer about `name` (it was written to, or deleted). */
	drop(name: string): void {
		for (const key of this.byDb.get(name) ?? []) this.remove(key);
	}

	private remove(key: string): void {
		const e = this.entries.get(key);
		if (!e) return;
		this.entries.delete(key);
		this.chars -= e.text.length;
		const keys = this.byDb.get(e.db);
		keys?.delete(key);
		if (keys?.size === 0) this.byDb.delete(e.db);
	}

	private evict(): void {
		for (const key of this.entries.keys()) {
			if (this.chars <= this.maxChars) break;
			this.remove(key);
		}
	}
}
