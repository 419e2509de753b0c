// Property-based fuzz of the HTTP API with fast-check: thousands of generated requests
// (methods × paths × query × headers × bodies, as three kinds of caller) against one server
// on loopback. Properties: never a 5xx, the server keeps answering, and afterwards every
// app database holds only documents that pass the shared schemas in their home database.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { homeDbs, parseDbName, validateDoc } from '../src/lib/domain/index';
import { ROOT, TEACHER, raw, sharedServer } from './protocol-helpers';
import { FIRST_STUDENT, OTHER_DB, TEACHER_DB, mark } from './test-helpers';

const RUNS = Number(process.env.KEHOU_FUZZ_RUNS ?? 2000);
const s = sharedServer({ longpollMaxMs: 300, maxBodyBytes: 256 * 1024, maxAttachmentBytes: 4096 });
beforeAll(async () => {
	await s.start();
	await raw(s.url, '/fuzz-plain', { method: 'PUT' });
});
afterAll(() => s.stop());

const text = fc.string({
	maxLength: 12,
	unit: fc.constantFrom('a', 'Z', '_', '-', '/', '%', '.', ':', '学', '😀', ' ', '?', '#', '\u0000')
});
const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
const dbName = fc.constantFrom(
	TEACHER_DB,
	OTHER_DB,
	'fuzz-plain',
	'kh-demo--school',
	'kh-demo--admin',
	'nope',
	'Bad',
	'_users'
);
const docId = fc.oneof(
	fc.constantFrom(
		'mark:x',
		`student:${FIRST_STUDENT}`,
		'_design/x',
		'_local/cp',
		'_bad',
		'a%2Fb',
		'学生'
	),
	text.map(encodeURIComponent),
	text
);
const segment = fc.constantFrom(
	'_changes',
	'_bulk_docs',
	'_bulk_get',
	'_revs_diff',
	'_all_docs',
	'_local',
	'_design',
	'_security',
	'_ensure_full_commit',
	'_compact',
	'_revs_limit',
	'_purge',
	'_find'
);
const path = fc.oneof(
	fc.constantFrom('/', '/_up', '/_uuids', '/_all_dbs', '/_session', '/_kehou/me', '/_nope', '//'),
	dbName.map((d) => `/${d}`),
	fc.tuple(dbName, segment).map(([d, g]) => `/${d}/${g}`),
	fc.tuple(dbName, docId).map(([d, id]) => `/${d}/${id}`),
	fc.tuple(dbName, docId, text).map(([d, id, a]) => `/${d}/${id}/${encodeURIComponent(a) || 'a'}`),
	fc.tuple(dbName, text).map(([d, t]) => `/${d}/${t}`)
);
const queryParam = fc.tuple(
	fc.constantFrom(
		'since',
		'limit',
		'feed',
		'heartbeat',
		'timeout',
		'filter',
		'doc_ids',
		'style',
		'include_docs',
		'conflicts',
		'descending',
		'rev',
		'revs',
		'revs_info',
		'open_revs',
		'latest',
		'attachments',
		'keys',
		'key',
		'startkey',
		'end_key',
		'skip',
		'new_edits',
		'count',
		'batch',
		'meta',
		'atts_since'
	),
	fc.oneof(
		fc.constantFrom(
			'true',
			'false',
			'all',
			'now',
			'0',
			'-1',
			'1',
			'3',
			'continuous',
			'longpoll',
			'eventsource',
			'_doc_ids',
			'_selector',
			'all_docs',
			'1-abc',
			'["1-abc"]',
			'"a"',
			'[',
			'{}',
			'9999999999999'
		),
		text,
		json.map((v) => JSON.stringify(v))
	)
);
const query = fc
	.array(queryParam, { maxLength: 4 })
	.map((ps) =>
		ps.length ? '?' + ps.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&') : ''
	);
const docLike = fc.oneof(
	fc.constant(null).map(() => mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT })),
	fc.record(
		{
			_id: docId,
			_rev: fc.option(fc.constantFrom('1-abc', '2-def', 'x', '0-1')),
			type: fc.constantFrom('mark', 'student', 'group', 'x'),
			author: fc.constantFrom('teacher', 'admin')
		},
		{ requiredKeys: [] }
	),
	fc
		.tuple(
			json,
			fc.constantFrom(
				'status',
				'author',
				'_deleted',
				'_attachments',
				'_revisions',
				'_foo',
				'groupId'
			)
		)
		.map(([v, k]) => ({
			...mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT }),
			[k]: v
		})),
	json
);
const body = fc.oneof(
	fc.constant(undefined),
	json.map((v) => JSON.stringify(v)),
	fc
		.record({ docs: fc.array(docLike, { maxLength: 3 }), new_edits: fc.option(fc.boolean()) })
		.map((b) => JSON.stringify(b)),
	fc
		.record({
			docs: fc.array(fc.record({ id: docId, rev: fc.option(fc.constantFrom('1-abc', 'x')) }), {
				maxLength: 3
			})
		})
		.map((b) => JSON.stringify(b)),
	fc
		.record({
			selector: json,
			doc_ids: fc.option(fc.array(docId)),
			keys: fc.option(fc.array(json))
		})
		.map((b) => JSON.stringify(b)),
	docLike.map((d) => JSON.stringify(d)),
	text,
	fc.constantFrom('{"docs": [', '\u00ff', 'null', '[]', '{"docs":{}}', 'x'.repeat(300 * 1024))
);
const request = fc.record({
	method: fc.constantFrom(
		'GET',
		'GET',
		'PUT',
		'POST',
		'POST',
		'DELETE',
		'HEAD',
		'COPY',
		'OPTIONS',
		'PATCH'
	),
	path,
	query,
	body,
	auth: fc.constantFrom<string | null>(TEACHER, TEACHER, ROOT, null, 'Basic !!!', 'Bearer x'),
	type: fc.constantFrom(
		'application/json',
		'application/json; charset=utf-8',
		'text/plain',
		'multipart/related; boundary=x',
		'application/x-www-form-urlencoded',
		''
	),
	accept: fc.constantFrom('application/json', '*/*', 'multipart/mixed', 'text/html', ''),
	ifMatch: fc.option(fc.constantFrom('"1-abc"', 'garbage', '')),
	destination: fc.option(docId)
});

describe('fuzzed requests', () => {
	it('never answer 5xx, never crash, never store an invalid document', async () => {
		const url = s.url;
		const seen = new Map<number, number>();
		await fc.assert(
			fc.asyncProperty(request, async (r) => {
				const headers: Record<string, string> = {};
				if (r.auth) headers.Authorization = r.auth;
				if (r.accept) headers.Accept = r.accept;
				if (r.body !== undefined && r.type) headers['Content-Type'] = r.type;
				if (r.ifMatch !== null) headers['If-Match'] = r.ifMatch;
				if (r.destination !== null) headers.Destination = r.destination;
				let status: number;
				try {
					const res = await fetch(url + r.path + r.query, {
						method: r.method,
						headers,
						body: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body,
						signal: AbortSignal.timeout(700)
					});
					status = res.status;
					await res.arrayBuffer().catch(() => undefined);
				} catch (e) {
					// A feed held open past our patience, or a URL fetch itself refuses: not the server.
					const name = (e as Error).name;
					if (name === 'TimeoutError' || name === 'AbortError' || e instanceof TypeError) return;
					throw e;
				}
				seen.set(status, (seen.get(status) ?? 0) + 1);
				expect(status, `${r.method} ${r.path}${r.query}`).toBeLessThan(500);
			}),
			{
				numRuns: RUNS,
				interruptAfterTimeLimit: 40_000,
				seed: Number(process.env.KEHOU_FUZZ_SEED ?? Date.now() % 2 ** 31)
			}
		);
		expect((await raw(url, '/_up', { auth: null })).status).toBe(200);
		expect([...seen.keys()].some((k) => k >= 200 && k < 300)).toBe(true);

		// Every app database still holds only valid documents in their home database.
		const dbs = (await raw(url, '/_all_dbs')).json as string[];
		for (const name of dbs) {
			const ref = parseDbName(name);
			if (!ref) continue;
			const all = (await raw(url, `/${name}/_all_docs?include_docs=true`)).json as {
				rows: Array<{ doc: Record<string, unknown> }>;
			};
			for (const { doc } of all.rows) {
				const v = validateDoc(doc);
				expect(v.ok, `${name}/${String(doc._id)}: ${v.ok ? '' : v.reason}`).toBe(true);
				// At home, or the server's copy in a database mirrorDbs names.
				if (v.ok) expect(homeDbs(ref.schoolId, v.doc)).toContain(name);
			}
		}
	}, 120_000);
});
