// Entry point: `node --import tsx sync-server/main.ts`. Reads its configuration from the
// environment (safe defaults: local address, ./data, demo school on), prints it, and shuts
// down cleanly on SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { createSyncServer } from './app';

const env = process.env;
const flag = (v: string | undefined, fallback: boolean) =>
	v === undefined || v === '' ? fallback : !['0', 'false', 'no', 'off'].includes(v.toLowerCase());

const config = {
	port: Number(env.KEHOU_PORT ?? 3000),
	host: env.KEHOU_HOST ?? '127.0.0.1',
	dataDir: resolve(env.KEHOU_DATA_DIR ?? './data'),
	staticDir: resolve(env.KEHOU_STATIC_DIR ?? './build'),
	demo: flag(env.KEHOU_DEMO, true),
	logLevel: env.KEHOU_LOG_LEVEL ?? 'info',
	maxBodyBytes: Number(env.KEHOU_MAX_BODY_BYTES ?? 16 * 1024 * 1024),
	// Only behind an HTTPS proxy: marks the session cookie Secure and trusts X-Forwarded-For.
	behindTls: flag(env.KEHOU_BEHIND_TLS, false)
};

if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) {
	console.error(`KEHOU_PORT must be a port number, not ${env.KEHOU_PORT}`);
	process.exit(1);
}

const server = createSyncServer({
	dataDir: config.dataDir,
	staticDir: config.staticDir,
	demo: config.demo,
	logLevel: config.logLevel,
	maxBodyBytes: config.maxBodyBytes,
	auth: { secureCookies: config.behindTls, trustProxy: config.behindTls }
});

console.log('Kehou sync-server configuration:');
for (const [key, value] of Object.entries(config)) console.log(`  ${key}: ${String(value)}`);

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
	console.log(`${signal}: closing…`);
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
