// `/_kehou/admin/…`: the administration API for the school's IT person, server admins only
// (401 anonymous, 403 others), answered as CouchDB answers (`{error, reason}`), every body
// checked with zod and refused with the first failing field as its reason.
//   GET    users                      accounts (never password hashes)
//   POST   users                      {name, password, displayName, schoolId, roles, groups?, staffId?}
//   GET    users/{name}
//   PATCH  users/{name}               {displayName?, schoolId?, roles?, groups?, staffId?}
//   PUT    users/{name}/password      {password}   revokes the account's sessions
//   POST   users/{name}/disable       revokes the account's sessions
//   POST   users/{name}/enable
//   GET    sessions[?user=name]
//   DELETE sessions?user=name | ?all=true | sessions/{id}
//   GET    dbs
//   POST   dbs                        {schoolId, kind, groupId?} or {name}
//   GET    dbs/{name}/backup          JSON lines (admin-backup.ts)
//   POST   dbs/{name}/restore         JSON lines body, into an empty database
// Passwords in bodies are never logged or echoed back.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { once } from 'node:events';
import { z } from 'zod';
import { isServerAdmin } from './access';
import {
	disableAccount,
	enableAccount,
	listSessions,
	resetPassword,
	revokeSessions
} from './admin-accounts';
import { backupLines, linesOf, restoreLines } from './admin-backup';
import { createDb, listDbs, type CreateDb } from './admin-dbs';
import type { Caller } from './auth';
import type { ApiContext } from './couch-routes';
import {
	CouchError,
	Query,
	badRequest,
	forbidden,
	methodNotAllowed,
	notFound,
	readJsonObject,
	sendJson,
	unauthorized
} from './http-util';
import { DB_NAME } from './storage';
import {
	AccountError,
	addUser,
	getAccount,
	listAccounts,
	type NewUser,
	passwordSchema,
	updateUser,
	userPatchSchema
} from './users';

/** A zod failure as CouchDB's 400, naming the first failing field. */
export function zodReason(e: z.ZodError): string {
	const issue = e.issues[0];
	const path = issue.path.length ? issue.path.join('.') : '(body)';
	return `${path}: ${issue.message}`;
}

function toAdminError(e: unknown): unknown {
	if (e instanceof z.ZodError) return badRequest(zodReason(e));
	if (e instanceof AccountError) {
		return e.code === 'conflict' ? new CouchError(409, 'conflict', e.message) : notFound(e.message);
	}
	return e;
}

export async function routeAdmin(
	ctx: ApiContext,
	req: IncomingMessage,
	res: ServerResponse,
	parts: string[],
	query: Query,
	caller: Caller
): Promise<void> {
	if (!caller.user) throw unauthorized(caller.authError ?? 'Authentication required.');
	if (!isServerAdmin(caller.user)) throw forbidden('You are not a server admin.');
	try {
		await dispatch(ctx, req, res, parts, query);
	} catch (e) {
		throw toAdminError(e);
	}
}

async function dispatch(
	ctx: ApiContext,
	req: IncomingMessage,
	res: ServerResponse,
	parts: string[],
	query: Query
): Promise<void> {
	const method = req.method ?? 'GET';
	const system = ctx.storage.system;
	const body = () => readJsonObject(req, ctx.bodyLimit);
	const allow = (...methods: string[]) => {
		if (!methods.includes(method)) throw methodNotAllowed(methods.join(','));
	};
	const [area, name, action, ...rest] = parts;
	if (rest.length) throw notFound();

	if (area === 'users') {
		if (name === undefined) {
			allow('GET', 'POST');
			if (method === 'GET') return sendJson(res, 200, { users: await listAccounts(system) });
			const user = await addUser(system, (await body()) as NewUser);
			return sendJson(res, 201, { ok: true, user });
		}
		if (action === undefined) {
			allow('GET', 'PATCH');
			if (method === 'GET') {
				const account = await getAccount(system, name);
				if (!account) throw notFound(`There is no account named ${name}.`);
				return sendJson(res, 200, account);
			}
			const user = await updateUser(system, name, userPatchSchema.parse(await body()));
			return sendJson(res, 200, { ok: true, user });
		}
		if (action === 'password') {
			allow('PUT', 'POST');
			const { password } = z
				.object({ password: passwordSchema })
				.strict()
				.parse(await body());
			const { revoked } = await resetPassword(system, name, password);
			return sendJson(res, 200, { ok: true, revokedSessions: revoked });
		}
		if (action === 'disable') {
			allow('POST');
			const { account, revoked } = await disableAccount(system, name);
			return sendJson(res, 200, { ok: true, user: account, revokedSessions: revoked });
		}
		if (action === 'enable') {
			allow('POST');
			return sendJson(res, 200, { ok: true, user: await enableAccount(system, name) });
		}
		throw notFound();
	}

	if (area === 'sessions' && action === undefined) {
		if (name !== undefined) {
			allow('DELETE');
			const revoked = await revokeSessions(system, { id: name });
			if (revoked === 0) throw notFound('No single session has this id.');
			return sendJson(res, 200, { ok: true, revoked });
		}
		allow('GET', 'DELETE');
		const user = query.string('user');
		if (method === 'GET') return sendJson(res, 200, { sessions: await listSessions(system, user) });
		if (user === undefined && query.string('all') !== 'true') {
			throw badRequest('Say whose sessions to revoke: ?user=name, or ?all=true for everyone.');
		}
		const revoked = await revokeSessions(system, user !== undefined ? { user } : { all: true });
		return sendJson(res, 200, { ok: true, revoked });
	}

	if (area === 'dbs') {
		if (name === undefined) {
			allow('GET', 'POST');
			if (method === 'GET') return sendJson(res, 200, { dbs: await listDbs(ctx.storage) });
			const db = await createDb(ctx.storage, (await body()) as CreateDb);
			if (!db.created) {
				throw new CouchError(412, 'file_exists', `The database ${db.name} already exists.`);
			}
			return sendJson(res, 201, { ok: true, db });
		}
		if (!DB_NAME.test(name)) throw badRequest(`Not a database name: ${name}`);
		if (action === 'backup') {
			allow('GET');
			return sendBackup(ctx, res, name);
		}
		if (action === 'restore') {
			allow('POST', 'PUT');
			const stats = await ctx.storage.withWriteLock(name, () =>
				restoreLines(ctx.storage.db(name), name, linesOf(req))
			);
			ctx.storage.notify(name);
			return sendJson(res, 200, { ok: true, ...stats });
		}
		throw notFound();
	}
	throw notFound();
}

async function sendBackup(ctx: ApiContext, res: ServerResponse, name: string): Promise<void> {
	if (!(await ctx.storage.backend.existsNow(name))) throw notFound('Database does not exist.');
	const lines = backupLines(ctx.storage.db(name), name);
	// Read the header before answering, so that a failure can still be a proper error.
	const first = await lines.next();
	const stamp = new Date().toISOString().slice(0, 10);
	res.writeHead(200, {
		'Content-Type': 'application/x-ndjson; charset=utf-8',
		'Content-Disposition': `attachment; filename="${name.replace(/[^a-z0-9_-]/g, '_')}-${stamp}.jsonl"`,
		'Cache-Control': 'no-store'
	});
	if (!first.done) res.write(first.value);
	for await (const line of lines) {
		if (res.destroyed) return;
		if (!res.write(line)) await once(res, 'drain');
	}
	res.end();
}
