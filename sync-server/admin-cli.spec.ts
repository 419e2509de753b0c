// The administration CLI on a data folder: accounts, sessions, databases, backup and
// restore, in-process; and once as the IT person runs it, a child process with a piped
// password that never shows up in its output.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './cli';
import {
	call,
	signIn,
	startServer,
	TEACHER_DB,
	TEACHER_DB_SEEDED,
	type Running
} from './test-helpers';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
	vi.restoreAllMocks();
});

/** A data folder made by a server that has stopped again (the CLI needs it to itself). */
async function dataFolder(): Promise<string> {
	const r = await startServer();
	await r.stop(true);
	cleanups.push(() => r.stop());
	return r.dataDir;
}

async function cli(dataDir: string, args: string[], stdin = '') {
	const out: string[] = [];
	const err: string[] = [];
	vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
	vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
	const code = await main(['--data-dir', dataDir, ...args], { stdin: Readable.from([stdin]) });
	vi.restoreAllMocks();
	return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the admin CLI', () => {
	it('manages accounts and sessions on a stopped server’s data folder', async () => {
		const dir = await dataFolder();
		const add = await cli(
			dir,
			[
				'user',
				'add',
				'li',
				'--display-name',
				'李老师',
				'--school',
				'demo',
				'--roles',
				'teacher',
				'--groups',
				'svc-3-2'
			],
			'li-secret-1\n'
		);
		expect(add).toMatchObject({ code: 0, out: 'Added li (teacher).' });
		expect(
			(
				await cli(
					dir,
					['user', 'add', 'li', '--display-name', 'x', '--school', 'demo', '--roles', 'teacher'],
					'other-secret\n'
				)
			).code
		).toBe(1);
		const badRole = await cli(dir, ['user', 'roles', 'li', '--roles', 'wizard']);
		expect(badRole.code).toBe(1);
		expect(badRole.err).toMatch(/roles\.0/);
		expect((await cli(dir, ['user', 'roles', 'li', '--groups', 'svc-3-1,svc-3-2'])).code).toBe(0);
		const short = await cli(dir, ['user', 'passwd', 'li'], 'short\n');
		expect(short.err).toMatch(/password: /);
		expect((await cli(dir, ['user', 'disable', 'li'])).out).toMatch(/Disabled li/);
		const list = JSON.parse((await cli(dir, ['user', 'list', '--json'])).out) as Array<{
			name: string;
			disabled: boolean;
			groups: string[];
		}>;
		expect(list.find((u) => u.name === 'li')).toMatchObject({
			disabled: true,
			groups: ['svc-3-1', 'svc-3-2']
		});
		expect((await cli(dir, ['user', 'enable', 'li'])).code).toBe(0);
		expect((await cli(dir, ['sessions', 'revoke'])).code).toBe(2);
		expect((await cli(dir, ['frobnicate'])).code).toBe(2);

		// The server sees it all on its next start; a session made then is listed and revoked.
		const r: Running = await startServer({ dataDir: dir });
		const cookie = await signIn(r.url, 'li', 'li-secret-1');
		expect((await call(r.url, `/${TEACHER_DB}`, { cookie })).status).toBe(200);
		await r.stop(true);
		const sessions = await cli(dir, ['sessions', 'list', '--user', 'li']);
		expect(sessions.out).toMatch(/^[0-9a-f]{16} {2}li/);
		expect((await cli(dir, ['sessions', 'revoke', '--user', 'li'])).out).toBe(
			'1 session(s) revoked.'
		);
	});

	it('creates, lists, backs up and restores databases', async () => {
		const dir = await dataFolder();
		expect((await cli(dir, ['db', 'create', '--school', 'demo', '--group', 'club-art'])).out).toBe(
			'Created kh-demo--g--club-art'
		);
		expect((await cli(dir, ['db', 'create', '--school', 'north'])).out.split('\n')).toEqual([
			'Created kh-north--school',
			'Created kh-north--admin',
			'Created kh-north--supervision'
		]);
		expect((await cli(dir, ['db', 'list'])).out).toMatch(/kh-demo--g--club-art +group club-art/);
		const file = join(dir, 'svc.jsonl');
		expect((await cli(dir, ['db', 'backup', TEACHER_DB, '--out', file])).code).toBe(0);
		const lines = readFileSync(file, 'utf8').trim().split('\n');
		expect(JSON.parse(lines.at(-1)!)).toEqual({
			end: true,
			docs: TEACHER_DB_SEEDED,
			revisions: TEACHER_DB_SEEDED,
			attachments: 0
		});
		const wrongHome = await cli(dir, ['db', 'restore', 'kh-demo--g--club-art', '--in', file]);
		expect(wrongHome.err).toMatch(/backup of kh-demo--g--svc-3-1/);
		expect((await cli(dir, ['db', 'restore', 'inspect', '--in', file])).out).toMatch(
			new RegExp(`^Restored ${TEACHER_DB_SEEDED} documents`)
		);
		expect((await cli(dir, ['db', 'restore', 'inspect', '--in', file])).err).toMatch(/not empty/);
	});

	it('runs as a command, reads the password from stdin and never prints it', async () => {
		const dir = await dataFolder();
		const run = promisify(execFile);
		const cliPath = join(import.meta.dirname, 'cli.ts');
		const help = await run(process.execPath, ['--import', 'tsx', cliPath, '--help']);
		expect(help.stdout).toMatch(/user add <name>/);
		const child = execFile(
			process.execPath,
			['--import', 'tsx', cliPath, 'user', 'passwd', 'teacher', '--password-stdin'],
			{ env: { ...process.env, KEHOU_DATA_DIR: dir } }
		);
		let output = '';
		child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
		child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
		child.stdin?.end('a-new-Secret-42\n');
		const code = await new Promise<number | null>((done) => child.on('close', done));
		expect(code).toBe(0);
		expect(output).toMatch(/Password of teacher changed/);
		expect(output).not.toContain('a-new-Secret-42');
		const r = await startServer({ dataDir: dir });
		cleanups.push(() => r.stop(true));
		expect(
			(await call(r.url, '/_session', { body: { name: 'teacher', password: 'a-new-Secret-42' } }))
				.status
		).toBe(200);
	});
});
