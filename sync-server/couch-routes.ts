// Routing of the CouchDB API: the welcome, `/_session`, server endpoints, `/_kehou/*` and
// every `/{db}/…` route, with the access check placed before any database is touched.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
	adminDb,
	canRead,
	classDb,
	gateDb,
	groupDb,
	parseDbName,
	schoolDb,
	supervisionDb
} from '../src/lib/domain/index';
import { checkRead, isServerAdmin } from './access';
import { routeAdmin } from './admin';
import type { Auth, Caller } from './auth';
import { attachmentRoute } from './couch-attachments';
import { handleChanges, type FeedSlots } from './couch-changes';
import { handleDbUpdates } from './db-updates';
import type { WorkQueue } from './work-queue';
import { dbMissing, notServerAdmin, routeDb, routeDbEndpoint } from './couch-db';
import * as docs from './couch-docs';
import {
	CouchError,
	Query,
	badRequest,
	forbidden,
	methodNotAllowed,
	notFound,
	sendJson,
	unauthorized
} from './http-util';
import { DB_NAME, type Storage } from './storage';
import type { User } from './users';

export interface ApiContext {
	storage: Storage;
	auth: Auth;
	bodyLimit: number;
	/** Largest attachment accepted (bytes); larger ones get 413 `attachment_too_large`. */
	maxAttachmentBytes?: number;
	longpollMaxMs: number;
	closing: AbortSignal;
	/** Waiting `_changes` feeds per client (couch-changes.ts). */
	feedSlots: FeedSlots;
	/** Heavy document requests running at once (work-queue.ts). */
	work: WorkQueue;
	version: string;
}

/** The CouchDB version whose behaviour this API follows. */
const COUCHDB_VERSION = '3.3.3';
export const DEFAULT_MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024;

const illegalName = (name: string) =>
	new CouchError(
		400,
		'illegal_database_name',
		`Name: '${name}'. Only lowercase characters (a-z), digits (0-9), and any of the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.`
	);

export async function routeApi(
	ctx: ApiContext,
	req: IncomingMessage,
	res: ServerResponse,
	url: URL,
	caller: Caller
): Promise<void> {
	const method = req.method ?? 'GET';
	// Split before decoding: an encoded `/` (%2F) belongs to a db name or doc id.
	let parts: string[];
	try {
		parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
	} catch {
		throw badRequest('Malformed URL.');
	}
	if (parts.at(-1) === '' && parts.length > 1) parts.pop();
	const query = new Query(url.searchParams);
	const [first = ''] = parts;

	if (first === '') {
		if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET,HEAD');
		sendJson(res, 200, {
			couchdb: 'Welcome',
			version: COUCHDB_VERSION,
			git_sha: 'kehou',
			uuid: ctx.storage.uuid,
			features: [],
			vendor: { name: 'kehou', version: ctx.version }
		});
		return;
	}
	if (first.startsWith('_')) return routeServer(ctx, req, res, parts, query, caller);

	const name = first;
	if (!DB_NAME.test(name) || name.length > 238) throw illegalName(name);
	const rest = parts.slice(1);
	// Creating and deleting databases is for server admins, whatever the name.
	if (rest.length === 0 && (method === 'PUT' || method === 'DELETE')) {
		return routeDb(null, req, res, ctx.storage, name, caller);
	}
	const access = checkRead(caller.user, name, caller.authError);
	const dctx: docs.DocRouteContext = {
		req,
		res,
		storage: ctx.storage,
		access,
		query,
		bodyLimit: ctx.bodyLimit,
		maxAttachmentBytes: ctx.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES
	};
	if (rest.length === 0) return routeDb(dctx, req, res, ctx.storage, name, caller);

	if (!access.ref && !ctx.storage.exists(name)) throw dbMissing();
	const [seg, ...tail] = rest;
	const only = (allowed: string[]) => {
		if (!allowed.includes(method)) throw methodNotAllowed(allowed.join(','));
	};
	switch (seg) {
		case '_changes':
			only(['GET', 'HEAD', 'POST']);
			return handleChanges(req, res, ctx.storage, name, query, ctx);
		case '_bulk_docs':
			only(['POST']);
			return ctx.work.run(() => docs.bulkDocs(dctx));
		case '_bulk_get':
			only(['POST']);
			return ctx.work.run(() => docs.bulkGet(dctx));
		case '_revs_diff':
			only(['POST']);
			return ctx.work.run(() => docs.revsDiff(dctx));
		case '_all_docs':
			only(['GET', 'HEAD', 'POST']);
			return docs.allDocs(dctx);
		case '_local':
			if (tail.length === 0) throw notFound();
			return docs.localDoc(dctx, tail.join('/'));
		case '_design':
			return refuseDesign(method);
	}
	if (await routeDbEndpoint(dctx, seg, caller)) return;
	if (seg.startsWith('_local/')) return docs.localDoc(dctx, seg.slice('_local/'.length));
	if (seg.startsWith('_design/')) return refuseDesign(method);
	if (seg.startsWith('_')) {
		throw new CouchError(
			400,
			'illegal_docid',
			'Only reserved document ids may start with underscore.'
		);
	}
	if (tail.length > 0) return attachmentRoute(dctx, seg, tail.join('/'));
	switch (method) {
		case 'GET':
		case 'HEAD':
			return docs.getDoc(dctx, seg);
		case 'PUT':
			return docs.putDoc(dctx, seg);
		case 'DELETE':
			return docs.deleteDoc(dctx, seg);
		case 'COPY':
			return docs.copyDoc(dctx, seg);
		default:
			throw methodNotAllowed('COPY,DELETE,GET,HEAD,PUT');
	}
}

/** The server runs no code from documents: design documents never exist and cannot be written. */
function refuseDesign(method: string): never {
	if (method === 'GET' || method === 'HEAD') throw notFound('missing');
	throw forbidden('Design documents are refused: this server runs no code from documents.');
}

/** `/_…` server endpoints. */
async function routeServer(
	ctx: ApiContext,
	req: IncomingMessage,
	res: ServerResponse,
	parts: string[],
	query: Query,
	caller: Caller
): Promise<void> {
	const path = parts.join('/');
	const method = req.method ?? 'GET';
	const only = (...allowed: string[]) => {
		if (!allowed.includes(method)) throw methodNotAllowed(allowed.join(','));
	};
	const admin = () => {
		if (!isServerAdmin(caller.user)) throw notServerAdmin();
	};
	if (parts[0] === '_kehou' && parts[1] === 'admin') {
		return routeAdmin(ctx, req, res, parts.slice(2), query, caller);
	}
	switch (path) {
		case '_session':
			return ctx.auth.handleSession(req, res, caller, ctx.bodyLimit);
		case '_up':
			only('GET', 'HEAD');
			return sendUp(ctx, res);
		case '_uuids': {
			only('GET', 'HEAD');
			const count = query.int('count') ?? 1;
			if (count > 1000) throw badRequest('count parameter too large');
			const uuids = Array.from({ length: count }, () => randomUUID().replaceAll('-', ''));
			return sendJson(
				res,
				200,
				{ uuids },
				{ 'Cache-Control': 'must-revalidate, no-cache', Pragma: 'no-cache' }
			);
		}
		case '_all_dbs':
			only('GET', 'HEAD');
			admin();
			return sendJson(res, 200, listDbs(ctx.storage.list(), query));
		case '_active_tasks':
			only('GET', 'HEAD');
			admin();
			return sendJson(res, 200, []);
		case '_kehou/db_updates':
			return handleDbUpdates(
				ctx.storage.updates,
				req,
				res,
				query,
				caller.user,
				caller.authError,
				ctx.closing
			);
		case '_kehou/me':
			only('GET', 'HEAD');
			if (!caller.user) throw unauthorized(caller.authError ?? 'Authentication required.');
			return sendJson(res, 200, await describeUser(ctx.storage, caller.user));
	}
	if (parts[0] === '_kehou') throw notFound();
	throw illegalName(parts[0]);
}

/** `_up`: CouchDB's liveness answer, plus whether the store answers (503 when it does not). */
async function sendUp(ctx: ApiContext, res: ServerResponse): Promise<void> {
	const store = await Promise.race([
		ctx.storage.system.info().then(
			() => 'ok',
			() => 'failing'
		),
		new Promise<string>((r) => setTimeout(() => r('timeout'), 2000).unref())
	]);
	const ok = store === 'ok' && !ctx.closing.aborted;
	sendJson(res, ok ? 200 : 503, {
		status: ok ? 'ok' : ctx.closing.aborted ? 'shutting_down' : 'error',
		seeds: {},
		store: { backend: ctx.storage.backend.kind, status: store }
	});
}

/** `_all_dbs` with CouchDB's `descending`, `startkey`/`endkey`, `skip` and `limit`. */
function listDbs(names: string[], query: Query): string[] {
	const descending = query.bool('descending');
	const start = query.jsonOf('startkey', 'start_key');
	const end = query.jsonOf('endkey', 'end_key');
	let out = descending ? [...names].reverse() : names;
	const before = (a: string, b: string) => (descending ? a > b : a < b);
	if (typeof start === 'string') out = out.filter((n) => !before(n, start));
	if (typeof end === 'string') out = out.filter((n) => !before(end, n));
	const skip = query.int('skip') ?? 0;
	const limit = query.int('limit');
	return out.slice(skip, limit === undefined ? undefined : skip + limit);
}

export interface Me {
	name: string;
	displayName: string;
	schoolId: string;
	/** Absent for accounts without a staff directory entry (the server admin). */
	staffId?: string;
	roles: string[];
	groups: string[];
	/** 行政班 this user heads (班主任); absent for everyone else. */
	classes?: string[];
	/**
	 * The app databases this user may read (`canRead`): what the browser app replicates.
	 * Order: school, groups, classes, gate, admin, supervision; each list sorted.
	 */
	databases: string[];
}

/** Ids of the school directory's documents of one type (`group:…`, `admin-class:…`). */
async function directoryIds(storage: Storage, school: string, type: string): Promise<string[]> {
	if (!storage.exists(school)) return [];
	const rows = (await storage
		.db(school)
		.allDocs({ startkey: `${type}:`, endkey: `${type}:\ufff0` })) as {
		rows: Array<{ id: string }>;
	};
	return rows.rows.map((r) => r.id.slice(type.length + 1));
}

/** `/_kehou/me`: the signed-in user and every app database they may read. */
export async function describeUser(storage: Storage, user: User): Promise<Me> {
	const s = user.schoolId;
	const school = schoolDb(s);
	// School-wide roles read every group and the office every class: the candidates are
	// the user's own assignments plus what the school's directory lists; `canRead` decides.
	const groupIds = new Set([...user.groups, ...(await directoryIds(storage, school, 'group'))]);
	const classIds = new Set([
		...(user.classes ?? []),
		...(await directoryIds(storage, school, 'admin-class'))
	]);
	const candidates = [
		school,
		...[...groupIds].sort().map((g) => groupDb(s, g)),
		...[...classIds].sort().map((c) => classDb(s, c)),
		gateDb(s),
		adminDb(s),
		supervisionDb(s)
	];
	const databases = candidates.filter((n) => {
		const ref = parseDbName(n);
		return ref !== null && canRead(user, ref);
	});
	return {
		name: user.name,
		displayName: user.displayName,
		schoolId: s,
		...(user.staffId ? { staffId: user.staffId } : {}),
		roles: user.roles,
		groups: user.groups,
		...(user.classes?.length ? { classes: [...user.classes] } : {}),
		databases
	};
}
