// The built PWA, served from the same origin as the CouchDB API (DESIGN.md decision 7).
// Content negotiation decides who answers: an existing file wins; otherwise a browser
// navigation (Accept: text/html) gets the SPA's index.html; everything else is the API.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import sirv from 'sirv';

export type StaticHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

function cacheControl(pathname: string): string {
	// Hashed build output never changes under its name.
	if (pathname.startsWith('/_app/immutable/')) return 'public, max-age=31536000, immutable';
	// Everything else (index.html, service-worker.js, version.json, manifest) revalidates, so
	// a new release reaches the service worker at once.
	return 'no-cache';
}

/** A handler that answers and returns `true`, or returns `false` to let the API answer. */
export function createStaticHandler(dir: string | undefined): StaticHandler | null {
	if (!dir || !existsSync(dir) || !statSync(dir).isDirectory()) return null;
	const hasIndex = existsSync(join(dir, 'index.html'));
	const serve = sirv(dir, {
		dev: false,
		etag: true,
		// No `.html` guessing and no directory index: `/` and db names belong to the API.
		extensions: [],
		dotfiles: false,
		setHeaders(res, pathname) {
			res.setHeader('Cache-Control', cacheControl(pathname));
			res.setHeader('X-Content-Type-Options', 'nosniff');
		}
	});
	const tryServe = (req: IncomingMessage, res: ServerResponse) =>
		new Promise<boolean>((resolve) => {
			serve(req, res, () => resolve(false));
			// sirv answers synchronously when it has the file (its file list is read at start).
			if (res.headersSent || res.writableEnded) resolve(true);
		});

	return async (req, res) => {
		if (req.method !== 'GET' && req.method !== 'HEAD') return false;
		const pathname = (req.url ?? '/').split('?')[0];
		if (pathname !== '/' && !pathname.endsWith('/') && (await tryServe(req, res))) return true;
		const accept = req.headers.accept ?? '';
		if (!hasIndex || !accept.includes('text/html')) return false;
		const original = req.url;
		req.url = '/index.html';
		const served = await tryServe(req, res);
		req.url = original;
		return served;
	};
}

/** The `sha256-…` sources of every inline `<script>` in the built index.html. */
export function inlineScriptHashes(dir: string | undefined): string[] {
	const file = dir ? join(dir, 'index.html') : '';
	if (!dir || !existsSync(file)) return [];
	const html = readFileSync(file, 'utf8');
	const hashes: string[] = [];
	for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
		if (/\bsrc\s*=/i.test(m[1]) || m[2] === '') continue;
		hashes.push(`'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`);
	}
	return [...new Set(hashes)];
}

/**
 * The Content-Security-Policy every response carries. The SPA's inline bootstrap script is
 * allowed by its hash (computed at start from the built index.html), nothing else inline;
 * the page talks only to its own origin and cannot be framed.
 */
export function contentSecurityPolicy(dir: string | undefined): string {
	return [
		"default-src 'self'",
		["script-src 'self'", ...inlineScriptHashes(dir)].join(' '),
		"worker-src 'self'",
		"connect-src 'self'",
		"img-src 'self' data: blob:",
		"style-src 'self' 'unsafe-inline'",
		"font-src 'self' data:",
		"manifest-src 'self'",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'"
	].join('; ');
}
