// `GET|HEAD|PUT|DELETE /{db}/{id}/{attachment}` as CouchDB answers them. A PUT or DELETE
// makes a new revision of the whole document, which passes the same gate as any write
// (an app document is validated again; a stored event cannot gain an attachment).
import { conflict, writeDocs, type DocRouteContext } from './couch-docs';
import { attachmentTooLarge, checkAttachmentName, REV } from './couch-validate';
import {
	CouchError,
	badRequest,
	methodNotAllowed,
	notFound,
	readBody,
	sendJson
} from './http-util';
import type { Doc } from './storage';

interface Stub {
	content_type?: string;
	digest?: string;
	length?: number;
	stub?: boolean;
}

const missingAttachment = () => notFound('Document is missing attachment');

export async function attachmentRoute(
	ctx: DocRouteContext,
	id: string,
	name: string
): Promise<void> {
	checkAttachmentName(name);
	switch (ctx.req.method) {
		case 'GET':
		case 'HEAD':
			return getAttachment(ctx, id, name);
		case 'PUT':
			return putAttachment(ctx, id, name);
		case 'DELETE':
			return deleteAttachment(ctx, id, name);
		default:
			throw methodNotAllowed('DELETE,GET,HEAD,PUT');
	}
}

function requestedRev(ctx: DocRouteContext): string | undefined {
	const rev =
		ctx.query.string('rev') ?? ctx.req.headers['if-match']?.replace(/^"|"$/g, '') ?? undefined;
	if (rev !== undefined && !REV.test(rev)) throw badRequest('Invalid rev format');
	return rev;
}

async function getAttachment(ctx: DocRouteContext, id: string, name: string): Promise<void> {
	const db = ctx.storage.db(ctx.access.name);
	const rev = ctx.query.string('rev');
	if (rev !== undefined && !REV.test(rev)) throw badRequest('Invalid rev format');
	const doc = await db.get(id, rev ? { rev } : {});
	const stub = (doc._attachments as Record<string, Stub> | undefined)?.[name];
	if (!stub) throw missingAttachment();
	const etag = `"${(stub.digest ?? '').replace(/^md5-/, '')}"`;
	const headers = {
		'Content-Type': stub.content_type ?? 'application/octet-stream',
		'Cache-Control': 'must-revalidate',
		ETag: etag,
		'Accept-Ranges': 'none'
	};
	if (ctx.req.headers['if-none-match'] === etag) {
		ctx.res.writeHead(304, headers);
		ctx.res.end();
		return;
	}
	const data = await db.getAttachment(id, name, rev ? { rev } : {});
	ctx.res.writeHead(200, { ...headers, 'Content-Length': data.length });
	ctx.res.end(ctx.req.method === 'HEAD' ? undefined : data);
}

/** The document a PUT/DELETE builds on: the named revision, or a new one when none is named. */
async function baseDoc(ctx: DocRouteContext, id: string, rev: string | undefined): Promise<Doc> {
	const db = ctx.storage.db(ctx.access.name);
	if (rev === undefined) return { _id: id };
	const [found] = (await db.get(id, { open_revs: [rev] }).catch(() => [])) as unknown as Array<{
		ok?: Doc;
	}>;
	if (!found?.ok) throw conflict();
	return found.ok;
}

async function store(ctx: DocRouteContext, doc: Doc, status: number): Promise<void> {
	const [reply] = await writeDocs(ctx, [doc], true);
	if ('error' in reply) {
		const code = reply.error === 'conflict' ? 409 : reply.error === 'forbidden' ? 403 : 400;
		throw new CouchError(code, reply.error, reply.reason);
	}
	sendJson(ctx.res, status, { ok: true, id: reply.id, rev: reply.rev }, { ETag: `"${reply.rev}"` });
}

async function putAttachment(ctx: DocRouteContext, id: string, name: string): Promise<void> {
	const type = ctx.req.headers['content-type'] ?? 'application/octet-stream';
	if (/^multipart\//i.test(type)) {
		throw new CouchError(415, 'bad_content_type', 'Multipart attachment bodies are not supported.');
	}
	const data = await readBody(ctx.req, ctx.maxAttachmentBytes).catch((e: unknown) => {
		throw (e as { status?: number }).status === 413 ? attachmentTooLarge(name) : e;
	});
	const rev = requestedRev(ctx);
	if (rev === undefined) {
		// A new document only: an existing one needs its revision (checked before the gate).
		const current = await ctx.storage
			.db(ctx.access.name)
			.get(id)
			.catch(() => null);
		if (current) throw conflict();
	}
	const doc = await baseDoc(ctx, id, rev);
	const attachments = { ...((doc._attachments as Record<string, unknown>) ?? {}) };
	attachments[name] = { content_type: type, data: data.toString('base64') };
	await store(ctx, { ...doc, _attachments: attachments }, 201);
}

async function deleteAttachment(ctx: DocRouteContext, id: string, name: string): Promise<void> {
	const rev = requestedRev(ctx);
	if (rev === undefined) {
		// CouchDB reads the current document first: 404 when it is missing, else a conflict.
		await ctx.storage.db(ctx.access.name).get(id);
		throw conflict();
	}
	const doc = await baseDoc(ctx, id, rev);
	const attachments = { ...((doc._attachments as Record<string, unknown>) ?? {}) };
	if (!(name in attachments)) throw missingAttachment();
	delete attachments[name];
	const next: Doc = { ...doc };
	if (Object.keys(attachments).length) next._attachments = attachments;
	else delete next._attachments;
	await store(ctx, next, 200);
}
