// Entry point: `node --import tsx sync-server/main.ts`. Reads its configuration from the
// environment (safe defaults: local address, ./data, demo school on, same origin only),
// prints it without secrets, and shuts down cleanly on SIGINT/SIGTERM: waiting feeds end,
// writes in flight finish, then the store closes.
import { resolve } from 'node:path';
import { DEFAULT_AUTH, createSyncServer } from './app';
import { DEFAULT_MAX_ATTACHMENT_BYTES } from './couch-routes';
import { DEFAULT_BODY_TIMEOUT_MS } from './http-util';
import { storageOptionsFromEnv } from './storage';

const env = process.env;
const DAY = 24 * 60 * 60 * 1000;
const problems: string[] = [];

const flag = (v: string | undefined, fallback: boolean) =>
	v === undefined || v === '' ? fallback : !['0', 'false', 'no', 'off'].includes(v.toLowerCase());

function int(name: string, fallback: number, min = 0): number {
	const v = env[name];
	if (v === undefined || v === '') return fallback;
	const n = Number(v);
	if (!Number.isInteger(n) || n < min) {
		problems.push(`${name} must be an integer ≥ ${min}, not ${v}`);
		return fallback;
	}
	return n;
}

function origins(v: string | undefined): string[] {
	if (!v) return [];
	const list = v
		.split(',')
		.map((o) => o.trim())
		.filter(Boolean);
	for (const o of list) {
		// An origin is scheme://host[:port], nothing more; a typo here would silently open CORS.
		if (!/^https?:\/\/[^/\s]+$/.test(o) || o === '*') {
			problems.push(`KEHOU_ALLOWED_ORIGINS: "${o}" is not an origin like https://school.example`);
		}
	}
	return list;
}

const config = {
	port: int('KEHOU_PORT', 3000),
	host: env.KEHOU_HOST ?? '127.0.0.1',
	dataDir: resolve(env.KEHOU_DATA_DIR ?? './data'),
	staticDir: resolve(env.KEHOU_STATIC_DIR ?? './build'),
	demo: flag(env.KEHOU_DEMO, true),
	logLevel: env.KEHOU_LOG_LEVEL ?? 'info',
	maxBodyBytes: int('KEHOU_MAX_BODY_BYTES', 16 * 1024 * 1024, 1024),
	maxAttachmentBytes: int('KEHOU_MAX_ATTACHMENT_BYTES', DEFAULT_MAX_ATTACHMENT_BYTES, 1),
	sessionIdleDays: int('KEHOU_SESSION_IDLE_DAYS', DEFAULT_AUTH.sessionIdleMs / DAY, 1),
	sessionMaxDays: int('KEHOU_SESSION_MAX_DAYS', DEFAULT_AUTH.sessionMaxMs / DAY, 1),
	allowedOrigins: origins(env.KEHOU_ALLOWED_ORIGINS),
	shutdownGraceMs: int('KEHOU_SHUTDOWN_GRACE_MS', 10_000),
	bodyTimeoutMs: int('KEHOU_BODY_TIMEOUT_MS', DEFAULT_BODY_TIMEOUT_MS, 100),
	// Only behind an HTTPS proxy: marks the session cookie Secure and trusts X-Forwarded-For.
	behindTls: flag(env.KEHOU_BEHIND_TLS, false)
};
if (config.port > 65535) problems.push(`KEHOU_PORT must be a port number, not ${config.port}`);

let storageOptions: ReturnType<typeof storageOptionsFromEnv> = {};
try {
	storageOptions = storageOptionsFromEnv(env);
} catch (e) {
	problems.push((e as Error).message);
}
if (problems.length) {
	for (const p of problems) console.error(p);
	process.exit(1);
}

const server = createSyncServer({
	dataDir: config.dataDir,
	staticDir: config.staticDir,
	demo: config.demo,
	logLevel: config.logLevel,
	maxBodyBytes: config.maxBodyBytes,
	maxAttachmentBytes: config.maxAttachmentBytes,
	allowedOrigins: config.allowedOrigins,
	shutdownGraceMs: config.shutdownGraceMs,
	bodyTimeoutMs: config.bodyTimeoutMs,
	storage: storageOptions,
	auth: {
		sessionIdleMs: config.sessionIdleDays * DAY,
		sessionMaxMs: config.sessionMaxDays * DAY,
		secureCookies: config.behindTls,
		trustProxy: config.behindTls
	}
});

/** A URL as printed: credentials in it are replaced. */
const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//•••@');

console.log('Kehou sync-server configuration:');
for (const [key, value] of Object.entries(config)) {
	const shown = Array.isArray(value) ? value.join(', ') || '(same origin only)' : String(value);
	console.log(`  ${key}: ${shown}`);
}
const couch = storageOptions.couchdb;
console.log(
	`  store: ${couch ? `CouchDB at ${redact(couch.url)}${couch.username ? ` as ${couch.username}` : ''}` : 'LevelDB in dataDir'}`
);

const { uuid, demoAccounts } = await server.init();
const { url } = await server.listen(config.port, config.host);
console.log(`Kehou sync-server ${uuid} listening on ${url}`);
if (demoAccounts) {
	console.log('Demo school 青禾实验小学 created. Accounts (change or remove before real use):');
	for (const a of demoAccounts) {
		console.log(
			`  ${a.name.padEnd(9)} ${a.password.padEnd(15)} ${a.roles.join(',')}  ${a.displayName}`
		);
	}
}

let stopping = false;
const stop = (signal: string) => {
	if (stopping) return;
	stopping = true;
	console.log(`${signal}: finishing requests in flight, then closing…`);
	server.close().then(
		() => process.exit(0),
		(e: unknown) => {
			console.error('shutdown failed', e);
			process.exit(1);
		}
	);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
