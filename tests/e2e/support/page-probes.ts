// Probes installed into a page (`context.addInitScript`, before the app's scripts run) for
// tests and the client bench that check what the app does and when. Each function is
// self-contained: Playwright sends its source text, not its closure.

/** One IndexedDB transaction: its database and stores, mode, and when it began and committed. */
export interface TxEntry {
	db: string;
	stores: string[];
	mode: string;
	start: number;
	/** -1 until it commits. */
	done: number;
}

/** One request the page sent with `fetch` (the app's and PouchDB's requests go through it). */
export interface SentEntry {
	url: string;
	method: string;
	at: number;
}

/**
 * Records every IndexedDB transaction of the page in `window.__txLog` (in order of
 * creation; `performance.now()` times) by wrapping `IDBDatabase.prototype.transaction`.
 * Dexie binds that method when it opens a database, so this must run before the app.
 * Calling it again empties the log.
 */
export function installTxProbe(): void {
	const w = window as unknown as { __txLog?: TxEntry[]; __txProbe?: boolean };
	w.__txLog = [];
	if (w.__txProbe) return;
	w.__txProbe = true;
	const original = IDBDatabase.prototype.transaction;
	IDBDatabase.prototype.transaction = function (
		this: IDBDatabase,
		stores: string | string[],
		mode?: IDBTransactionMode,
		options?: IDBTransactionOptions
	) {
		const tx = original.call(this, stores, mode, options);
		const entry: TxEntry = {
			db: this.name,
			stores: [...tx.objectStoreNames],
			mode: mode ?? 'readonly',
			start: performance.now(),
			done: -1
		};
		w.__txLog?.push(entry);
		tx.addEventListener('complete', () => (entry.done = performance.now()));
		return tx;
	} as typeof IDBDatabase.prototype.transaction;
}

/** Records every `fetch` of the page in `window.__sentLog`. */
export function installFetchProbe(): void {
	const w = window as unknown as { __sentLog?: SentEntry[] };
	w.__sentLog = [];
	const original = window.fetch;
	window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
		const url = input instanceof Request ? input.url : String(input);
		w.__sentLog?.push({ url, method: init?.method ?? 'GET', at: performance.now() });
		return original(input, init);
	};
}

/** What the probes recorded (run with `page.evaluate`). */
export function probeLogs(): { tx: TxEntry[]; sent: SentEntry[] } {
	const w = window as unknown as { __txLog?: TxEntry[]; __sentLog?: SentEntry[] };
	return { tx: w.__txLog ?? [], sent: w.__sentLog ?? [] };
}
