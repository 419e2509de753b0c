// `_changes` compared with CouchDB 3: every feed, since/limit/descending/style/include_docs/
// conflicts, heartbeats and timeouts, the _doc_ids and _selector filters — and the Mango
// evaluator itself, operator by operator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matches, parseSelector } from './couch-mango';
import { ROOT, freshDb, raw, sharedServer } from './protocol-helpers';

const s = sharedServer();
let db = '';
beforeAll(async () => {
	await s.start();
	db = freshDb('changes');
	await raw(s.url, `/${db}`, { method: 'PUT' });
	await raw(s.url, `/${db}/_bulk_docs`, {
		body: {
			docs: [
				{ _id: 'a', kind: 'mark', n: 1, tags: ['x', 'y'] },
				{ _id: 'b', kind: 'mark', n: 2, tags: ['y'] },
				{ _id: 'c', kind: 'student', n: 3, name: '王小明' },
				{ _id: 'd', kind: 'student', n: 4, name: 'Li Lei' }
			]
		}
	});
	await raw(s.url, `/${db}/_bulk_docs`, {
		body: {
			new_edits: false,
			docs: [{ _id: 'a', _rev: '1-fff', kind: 'mark', n: 9 }]
		}
	});
});
afterAll(() => s.stop());

type Changes = {
	results: Array<{
		seq: number;
		id: string;
		changes: Array<{ rev: string }>;
		doc?: Record<string, unknown>;
		deleted?: boolean;
	}>;
	last_seq: number;
	pending: number;
};
const changes = async (q: string, body?: unknown) =>
	(await raw(s.url, `/${db}/_changes${q}`, body ? { body } : {})).json as Changes;

describe('normal feed', () => {
	it('pages with since and limit, reports last_seq and pending', async () => {
		const all = await changes('');
		expect(all.results.map((r) => r.id)).toEqual(['b', 'c', 'd', 'a']);
		expect(all).toMatchObject({ last_seq: 5, pending: 0 });
		expect(Object.keys(all.results[0])).toEqual(['seq', 'id', 'changes']);
		const page = await changes('?limit=2');
		expect(page.results.map((r) => r.id)).toEqual(['b', 'c']);
		expect(page.pending).toBeGreaterThan(0);
		const next = await changes(`?since=${page.last_seq}`);
		expect(next.results.map((r) => r.id)).toEqual(['d', 'a']);
		expect((await changes('?since=now')).results).toEqual([]);
		expect((await changes('?descending=true&limit=1')).results.map((r) => r.id)).toEqual(['a']);
		expect((await raw(s.url, `/${db}/_changes?since=abc`)).status).toBe(400);
		expect((await raw(s.url, `/${db}/_changes?feed=sideways`)).status).toBe(400);
	});

	it('shows all leaves with style=all_docs, docs with include_docs, conflicts with conflicts', async () => {
		const both = await changes('?style=all_docs&include_docs=true&conflicts=true');
		const a = both.results.find((r) => r.id === 'a')!;
		expect(a.changes).toHaveLength(2);
		expect(a.doc).toMatchObject({ _id: 'a', _conflicts: [expect.any(String)] });
		const main = await changes('');
		expect(main.results.find((r) => r.id === 'a')!.changes).toHaveLength(1);
	});

	it('filters by doc ids (query or body) and by Mango selector', async () => {
		const byQuery = await changes(`?filter=_doc_ids&doc_ids=${encodeURIComponent('["c","zz"]')}`);
		expect(byQuery.results.map((r) => r.id)).toEqual(['c']);
		const byBody = await changes('?filter=_doc_ids', { doc_ids: ['a', 'd'] });
		expect(byBody.results.map((r) => r.id)).toEqual(['d', 'a']);
		const sel = await changes('?filter=_selector&include_docs=true', {
			selector: { kind: 'student', n: { $gte: 4 } }
		});
		expect(sel.results.map((r) => r.id)).toEqual(['d']);
		const regex = await changes('?filter=_selector', { selector: { name: { $regex: '^王' } } });
		expect(regex.results.map((r) => r.id)).toEqual(['c']);
		const noSel = await raw(s.url, `/${db}/_changes?filter=_selector`, { body: {} });
		expect(noSel.json).toEqual({
			error: 'bad_request',
			reason: 'Selector must be specified in POST payload'
		});
		const badOp = await raw(s.url, `/${db}/_changes?filter=_selector`, {
			body: { selector: { n: { $where: 'while(1){}' } } }
		});
		expect(badOp.json).toEqual({ error: 'invalid_operator', reason: 'Invalid operator: $where' });
		const design = await raw(s.url, `/${db}/_changes?filter=app/by_type`);
		expect(design.status).toBe(404);
		const badIds = await raw(s.url, `/${db}/_changes?filter=_doc_ids`, { body: { doc_ids: 'a' } });
		expect(badIds.status).toBe(400);
	});
});

describe('waiting feeds', () => {
	it('longpoll returns on the next change and at its timeout', async () => {
		const empty = await changes('?feed=longpoll&since=now&timeout=200');
		expect(empty).toMatchObject({ results: [], pending: 0 });
		const poll = changes('?feed=longpoll&since=now&timeout=10000');
		await new Promise((r) => setTimeout(r, 100));
		await raw(s.url, `/${db}/lp`, { method: 'PUT', body: { n: 5 } });
		expect((await poll).results.map((r) => r.id)).toEqual(['lp']);
	});

	it('continuous streams rows and heartbeats, and ends at its timeout with last_seq', async () => {
		const res = await fetch(
			`${s.url}/${db}/_changes?feed=continuous&since=now&timeout=600&heartbeat=false`,
			{
				headers: { Authorization: ROOT }
			}
		);
		const text = res.text();
		await new Promise((r) => setTimeout(r, 150));
		await raw(s.url, `/${db}/cont`, { method: 'PUT', body: { n: 6 } });
		const lines = (await text)
			.split('\n')
			.filter(Boolean)
			.map((l) => JSON.parse(l) as Record<string, unknown>);
		expect(lines[0]).toMatchObject({ id: 'cont', changes: [{ rev: expect.any(String) }] });
		expect(lines.at(-1)).toEqual({ last_seq: lines[0].seq, pending: 0 });

		// With a heartbeat it stays open (newlines while idle) until the client leaves.
		const controller = new AbortController();
		const hb = await fetch(
			`${s.url}/${db}/_changes?feed=continuous&since=now&heartbeat=100&limit=1`,
			{
				headers: { Authorization: ROOT },
				signal: controller.signal
			}
		);
		const reader = hb.body!.getReader();
		const first = await reader.read();
		expect(new TextDecoder().decode(first.value)).toMatch(/^\n+$/);
		await raw(s.url, `/${db}/cont2`, { method: 'PUT', body: { n: 7 } });
		let rest = '';
		for (;;) {
			const chunk = await reader.read();
			if (chunk.done) break;
			rest += new TextDecoder().decode(chunk.value);
		}
		const rows = rest
			.split('\n')
			.filter(Boolean)
			.map((l) => JSON.parse(l) as { id?: string; last_seq?: number });
		expect(rows[0].id).toBe('cont2');
		expect(rows.at(-1)).toHaveProperty('last_seq');
		controller.abort();
	});

	it('eventsource sends data/id events', async () => {
		const res = await fetch(`${s.url}/${db}/_changes?feed=eventsource&limit=1`, {
			headers: { Authorization: ROOT }
		});
		expect(res.headers.get('content-type')).toBe('text/event-stream');
		const text = await res.text();
		expect(text).toMatch(/^data: \{"seq":\d+,"id":"b"/);
		expect(text).toMatch(/\nid: \d+\n\n/);
	});
});

describe('Mango selector evaluator', () => {
	const doc = {
		_id: 'x',
		n: 5,
		s: 'Hello',
		arr: [1, 2, 3],
		tags: ['a', 'b'],
		nested: { deep: { v: true }, 'dot.key': 1 },
		items: [{ k: 1 }, { k: 2 }],
		nul: null,
		map: { alpha: 1, beta: 2 }
	};
	const m = (sel: unknown) => matches(parseSelector(sel), doc);

	it('implements each operator as CouchDB does', () => {
		expect(m({ n: 5 })).toBe(true);
		expect(m({ n: { $eq: 5 }, s: 'Hello' })).toBe(true);
		expect(m({ n: { $ne: 5 } })).toBe(false);
		expect(m({ n: { $gt: 4, $lt: 6 } })).toBe(true);
		expect(m({ n: { $gte: 5, $lte: 5 } })).toBe(true);
		// CouchDB collation: strings sort after numbers.
		expect(m({ s: { $gt: 1000 } })).toBe(true);
		expect(m({ n: { $in: [1, 5] } })).toBe(true);
		expect(m({ tags: { $in: ['b'] } })).toBe(true);
		expect(m({ n: { $nin: [1, 2] } })).toBe(true);
		expect(m({ tags: { $nin: ['a'] } })).toBe(false);
		expect(m({ missing: { $exists: false } })).toBe(true);
		expect(m({ n: { $exists: true } })).toBe(true);
		expect(
			m({ nul: { $type: 'null' }, arr: { $type: 'array' }, nested: { $type: 'object' } })
		).toBe(true);
		expect(m({ $and: [{ n: 5 }, { s: 'Hello' }] })).toBe(true);
		expect(m({ $or: [{ n: 1 }, { s: 'Hello' }] })).toBe(true);
		expect(m({ $nor: [{ n: 1 }, { s: 'x' }] })).toBe(true);
		expect(m({ $not: { n: 5 } })).toBe(false);
		expect(m({ n: { $not: { $eq: 4 } } })).toBe(true);
		expect(m({ tags: { $all: ['a', 'b'] } })).toBe(true);
		expect(m({ tags: { $all: ['a', 'c'] } })).toBe(false);
		expect(m({ items: { $elemMatch: { k: 2 } } })).toBe(true);
		expect(m({ items: { $allMatch: { k: { $gt: 0 } } } })).toBe(true);
		expect(m({ map: { $keyMapMatch: { $eq: 'beta' } } })).toBe(true);
		expect(m({ s: { $regex: '^H.l+o$' } })).toBe(true);
		expect(m({ s: { $regex: '(?i)^hello' } })).toBe(true);
		expect(m({ arr: { $size: 3 } })).toBe(true);
		expect(m({ n: { $mod: [2, 1] } })).toBe(true);
		expect(m({ 'nested.deep.v': true })).toBe(true);
		expect(m({ nested: { deep: { v: true } } })).toBe(true);
		expect(m({ 'nested.dot\\.key': 1 })).toBe(true);
		expect(m({ 'arr.0': 1 })).toBe(true);
		// A missing field matches nothing but $exists:false, $ne included.
		expect(m({ missing: { $ne: 1 } })).toBe(false);
	});

	it('refuses malformed selectors and risky regular expressions with 400s', () => {
		const bad = (sel: unknown) => {
			try {
				parseSelector(sel);
				return null;
			} catch (e) {
				return (e as { status: number; error: string }).error;
			}
		};
		expect(bad('x')).toBe('bad_request');
		expect(bad({ n: { $foo: 1 } })).toBe('invalid_operator');
		expect(bad({ $eq: 1 })).toBe('invalid_operator');
		expect(bad({ n: { $in: 1 } })).toBe('bad_arg');
		expect(bad({ n: { $mod: [0, 1] } })).toBe('bad_arg');
		expect(bad({ n: { $size: -1 } })).toBe('bad_arg');
		expect(bad({ n: { $type: 'date' } })).toBe('bad_arg');
		expect(bad({ s: { $regex: '(a+)+$' } })).toBe('bad_arg');
		expect(bad({ s: { $regex: '(a|b' } })).toBe('bad_arg');
		expect(bad({ s: { $regex: '(x)\\1' } })).toBe('bad_arg');
		let deep: Record<string, unknown> = { n: 1 };
		for (let i = 0; i < 100; i++) deep = { $and: [deep] };
		expect(bad(deep)).toBe('bad_request');
	});
});
