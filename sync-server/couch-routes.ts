// Routing of the CouchDB API: the welcome, `/_session`, server endpoints, `/_kehou/*` and
// every `/{db}/…` route, with the access check placed before any database is touched.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { canRead, dbName, groupDb, parseDbName, schoolDb } from '../src/lib/domain/index';
import { checkRead, isServerAdmin, type DbAccess } from './access';
import { routeAdmin } from './admin';
import type { Auth, Caller } from './auth';
import { handleChanges } from './couch-changes';
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
	longpollMaxMs: number;
	closing: AbortSignal;
	version: string;
}

/** The CouchDB version whose behaviour this API follows. */
const COUCHDB_VERSION = '3.3.3';

const illegalName = (name: string) =>
	new CouchError(
		400,
		'illegal_database_name',
		`Name: '${name}'. Only lowercase characters (a-z), digits (0-9), and any of the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.`
	);

const requireUser = (caller: Caller): User => {
	if (!caller.user) throw unauthorized(caller.authError ?? 'Authentication required.');
	return caller.user;
};

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
			vendor: { name: 'kehou', version: ctx.version },
			uuid: ctx.storage.uuid,
			features: []
		});
		return;
	}
	if (first.startsWith('_')) return routeServer(ctx, req, res, parts, query, caller);

	const name = first;
	if (!DB_NAME.test(name) || name.length > 238) throw illegalName(name);
	const access = checkRead(caller.user, name, caller.authError);
	const rest = parts.slice(1);
	if (rest.length === 0) return routeDb(ctx, req, res, access);

	if (!access.ref && !ctx.storage.exists(name)) throw notFound('Database does not exist.');
	const dctx: docs.DocRouteContext = {
		req,
		res,
		storage: ctx.storage,
		access,
		query,
		bodyLimit: ctx.bodyLimit
	};
	const [seg, ...tail] = rest;
	const only = (allowed: string[]) => {
		if (!allowed.includes(method)) throw methodNotAllowed(allowed.join(','));
	};
	switch (seg) {
		case '_changes':
			only(['GET', 'POST']);
			return handleChanges(req, res, ctx.storage, name, query, ctx);
		case '_bulk_docs':
			only(['POST']);
			return docs.bulkDocs(dctx);
		case '_bulk_get':
			only(['POST']);
			return docs.bulkGet(dctx);
		case '_revs_diff':
			only(['POST']);
			return docs.revsDiff(dctx);
		case '_all_docs':
			only(['GET', 'HEAD', 'POST']);
			return docs.allDocs(dctx);
		case '_ensure_full_commit':
			only(['POST']);
			sendJson(res, 201, { ok: true, instance_start_time: '0' });
			return;
		case '_local':
			if (tail.length === 0) throw notFound();
			return docs.localDoc(dctx, tail.join('/'));
		case '_design':
			if (method === 'GET' || method === 'HEAD') throw notFound();
			throw forbidden('Design documents are refused: this server runs no code from documents.');
		case '_security':
			if (method === 'GET' && isServerAdmin(caller.user)) return sendJson(res, 200, {});
			throw forbidden('Database security is managed by the server.');
	}
	if (seg.startsWith('_'))
		throw badRequest('Only reserved document ids may start with underscore.');
	if (tail.length > 0) {
		only(['GET', 'HEAD']);
		return docs.getAttachment(dctx, seg, tail.join('/'));
	}
	switch (method) {
		case 'GET':
		case 'HEAD':
			return docs.getDoc(dctx, seg);
		case 'PUT':
			return docs.putDoc(dctx, seg, false);
		case 'DELETE':
			return docs.putDoc(dctx, seg, true);
		default:
			throw methodNotAllowed('GET,HEAD,PUT,DELETE');
	}
}

/** `/{db}` itself: info, creation. App databases exist for whoever may read them. */
async function routeDb(
	ctx: ApiContext,
	req: IncomingMessage,
	res: ServerResponse,
	access: DbAccess
): Promise<void> {
	const { storage } = ctx;
	const { name, ref, user } = access;
	switch (req.method) {
		case 'GET':
		case 'HEAD': {
			// An app database a user may read is created on first use, so a new class works at once.
			if (!ref && !storage.exists(name)) throw notFound('Database does not exist.');
			const info = await storage.db(name).info();
			sendJson(res, 200, {
				db_name: name,
				doc_count: info.doc_count,
				doc_del_count: 0,
				update_seq: info.update_seq,
				purge_seq: 0,
				compact_running: false,
				instance_start_time: '0',
				disk_format_version: 8,
				props: {},
				sizes: { file: 0, external: 0, active: 0 }
			});
			return;
		}
		case 'PUT': {
			if (!isServerAdmin(user)) throw forbidden('You are not a server admin.');
			if (!(await storage.create(name))) {
				throw new CouchError(
					412,
					'file_exists',
					'The database could not be created, the file already exists.'
				);
			}
			sendJson(res, 201, { ok: true });
			return;
		}
		default:
			throw methodNotAllowed('GET,HEAD,PUT');
	}
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
	switch (path) {
		case '_session':
			return ctx.auth.handleSession(req, res, caller, ctx.bodyLimit);
		case '_up':
			return sendJson(res, 200, { status: 'ok' });
		case '_uuids': {
			const count = Math.min(1000, query.int('count') ?? 1);
			const uuids = Array.from({ length: count }, () => randomUUID().replaceAll('-', ''));
			return sendJson(res, 200, { uuids });
		}
		case '_all_dbs':
			if (!isServerAdmin(requireUser(caller))) throw forbidden('You are not a server admin.');
			return sendJson(res, 200, ctx.storage.list());
		case '_kehou/me':
			if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET,HEAD');
			return sendJson(res, 200, await describeUser(ctx.storage, requireUser(caller)));
	}
	if (parts[0] === '_kehou' && parts[1] === 'admin') {
		return routeAdmin(ctx, req, res, parts.slice(2), query, caller);
	}
	if (parts[0] === '_kehou') throw notFound();
	throw illegalName(parts[0]);
}

export interface Me {
	name: string;
	displayName: string;
	schoolId: string;
	/** Absent for accounts without a staff directory entry (the server admin). */
	staffId?: string;
	roles: string[];
	groups: string[];
	/** The app databases this user may read: what the browser app replicates. */
	databases: string[];
}

/** `/_kehou/me`: the signed-in user and every app database they may read. */
export async function describeUser(storage: Storage, user: User): Promise<Me> {
	const school = schoolDb(user.schoolId);
	const groupIds = new Set(user.groups);
	// School-wide roles read every group: list the school's groups from its directory.
	if (storage.exists(school)) {
		const rows = (await storage
			.db(school)
			.allDocs({ startkey: 'group:', endkey: 'group:\ufff0' })) as { rows: Array<{ id: string }> };
		for (const row of rows.rows) groupIds.add(row.id.slice('group:'.length));
	}
	const candidates = [
		school,
		...[...groupIds].sort().map((g) => groupDb(user.schoolId, g)),
		dbName({ kind: 'admin', schoolId: user.schoolId }),
		dbName({ kind: 'supervision', schoolId: user.schoolId })
	];
	const databases = candidates.filter((n) => {
		const ref = parseDbName(n);
		return ref !== null && canRead(user, ref);
	});
	return {
		name: user.name,
		displayName: user.displayName,
		schoolId: user.schoolId,
		...(user.staffId ? { staffId: user.staffId } : {}),
		roles: user.roles,
		groups: user.groups,
		databases
	};
}
