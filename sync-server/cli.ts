// The administration CLI: `node --import tsx sync-server/cli.ts <command> …` on a data
// folder (or on the shared CouchDB store when KEHOU_COUCHDB_URL is set), for the school's
// IT person. The embedded store is locked by a running server: use the admin API
// (/_kehou/admin) then, or stop the server first.
// Invariants: passwords are read from stdin only (hidden when typed at a terminal), never
// from arguments (they would land in shell history and `ps`) and never printed.
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { roleSchema } from '../src/lib/domain/index';
import {
	disableAccount,
	enableAccount,
	listSessions,
	resetPassword,
	revokeSessions
} from './admin-accounts';
import { backupLines, linesOf, restoreLines } from './admin-backup';
import { createDb, createSchoolDbs, listDbs, type CreateDb } from './admin-dbs';
import { zodReason } from './admin';
import { CouchError } from './http-util';
import { Storage, storageOptionsFromEnv } from './storage';
import { AccountError, addUser, listAccounts, updateUser } from './users';

const HELP = `Kehou sync-server administration

Usage: node --import tsx sync-server/cli.ts <command> [options]

Accounts (passwords are read from stdin; at a terminal you are asked twice, hidden):
  user add <name> --display-name <text> --school <id> --roles <r,…> [--groups <g,…>]
                  [--staff-id <id>] [--password-stdin]
  user passwd <name> [--password-stdin]     new password; signs the account out everywhere
  user disable <name>                       refuses sign-in and revokes its sessions
  user enable <name>
  user roles <name> [--roles <r,…>] [--groups <g,…>]
                                            roles and assignments (service classes, clubs);
                                            they apply from the account's next request
  user list [--json]

Sessions:
  sessions list [--user <name>] [--json]
  sessions revoke (--user <name> | --all | <id>)

Databases:
  db create <name>                          any database by name
  db create --school <id> [--group <id> | --kind school|admin|supervision]
                                            a group's database, or a school's (all three
                                            without --group/--kind)
  db list [--json]
  db backup <name> [--out <file>]           JSON lines to the file or stdout
  db restore <name> --in <file>             into an empty database, revision ids kept

Options:
  --data-dir <dir>   data folder (default: $KEHOU_DATA_DIR or ./data)
  --help             this text

Roles: ${roleSchema.options.join(', ')}
Store: KEHOU_COUCHDB_URL, KEHOU_COUCHDB_USER, KEHOU_COUCHDB_PASSWORD select a CouchDB store.
`;

const OPTIONS = {
	'data-dir': { type: 'string' },
	help: { type: 'boolean', short: 'h' },
	json: { type: 'boolean' },
	'display-name': { type: 'string' },
	school: { type: 'string' },
	roles: { type: 'string' },
	groups: { type: 'string' },
	'staff-id': { type: 'string' },
	'password-stdin': { type: 'boolean' },
	user: { type: 'string' },
	all: { type: 'boolean' },
	group: { type: 'string' },
	kind: { type: 'string' },
	out: { type: 'string' },
	in: { type: 'string' }
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'];

class UsageError extends Error {}

export interface Io {
	stdin: NodeJS.ReadableStream;
}

const list = (v: string | undefined) =>
	v === undefined
		? undefined
		: v
				.split(',')
				.map((s) => s.trim())
				.filter(Boolean);

/**
 * A password from stdin: hidden and asked twice at a terminal, else (or with
 * `--password-stdin`) the first line of what is piped in.
 */
async function readPassword(io: Io, fromPipe: boolean): Promise<string> {
	const stdin = io.stdin as NodeJS.ReadStream;
	if (fromPipe || !stdin.isTTY) {
		let text = '';
		for await (const chunk of stdin) text += String(chunk);
		const first = text.split(/\r?\n/)[0];
		if (!first) throw new UsageError('No password on stdin.');
		return first;
	}
	const ask = (prompt: string) =>
		new Promise<string>((done, fail) => {
			process.stderr.write(prompt);
			stdin.setRawMode(true);
			stdin.setEncoding('utf8');
			stdin.resume();
			let value = '';
			const onData = (chunk: string) => {
				for (const ch of chunk) {
					if (ch === '\r' || ch === '\n') {
						finish();
						return done(value);
					}
					if (ch === '\u0003') {
						finish();
						return fail(new UsageError('Cancelled.'));
					}
					if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
					else value += ch;
				}
			};
			const finish = () => {
				stdin.off('data', onData);
				stdin.setRawMode(false);
				stdin.pause();
				process.stderr.write('\n');
			};
			stdin.on('data', onData);
		});
	const first = await ask('New password: ');
	if ((await ask('Again: ')) !== first) throw new UsageError('The passwords differ.');
	return first;
}

function print(json: boolean | undefined, value: unknown, lines: () => string[]): void {
	if (json) console.log(JSON.stringify(value, null, 2));
	else for (const l of lines()) console.log(l);
}

async function run(storage: Storage, positionals: string[], v: Values, io: Io): Promise<void> {
	const password = () => readPassword(io, v['password-stdin'] === true);
	const [area, command, arg] = positionals;
	const system = storage.system;
	const needName = () => {
		if (!arg) throw new UsageError(`${area} ${command} needs a name.`);
		return arg;
	};
	switch (`${area} ${command}`) {
		case 'user add': {
			const name = needName();
			const secret = await password();
			const user = await addUser(system, {
				name,
				password: secret,
				displayName: v['display-name'] ?? '',
				schoolId: v.school ?? '',
				roles: (list(v.roles) ?? []) as never,
				groups: list(v.groups) ?? [],
				staffId: v['staff-id'] ?? null
			});
			console.log(`Added ${user.name} (${user.roles.join(', ')}).`);
			return;
		}
		case 'user passwd': {
			const name = needName();
			const { revoked } = await resetPassword(system, name, await password());
			console.log(`Password of ${name} changed; ${revoked} session(s) revoked.`);
			return;
		}
		case 'user disable': {
			const { revoked } = await disableAccount(system, needName());
			console.log(`Disabled ${arg}; ${revoked} session(s) revoked.`);
			return;
		}
		case 'user enable':
			await enableAccount(system, needName());
			console.log(`Enabled ${arg}.`);
			return;
		case 'user roles': {
			const name = needName();
			const roles = list(v.roles);
			const groups = list(v.groups);
			if (!roles && !groups) throw new UsageError('Give --roles, --groups or both.');
			const user = await updateUser(system, name, {
				...(roles ? { roles: roles as never } : {}),
				...(groups ? { groups } : {})
			});
			console.log(
				`${name}: roles ${user.roles.join(', ')}; groups ${user.groups.join(', ') || '–'}`
			);
			return;
		}
		case 'user list': {
			const users = await listAccounts(system);
			print(v.json, users, () =>
				users.map(
					(u) =>
						`${u.name.padEnd(16)} ${u.disabled ? 'DISABLED ' : ''}${u.schoolId}  ${u.roles.join(',')}  ${u.groups.join(',')}  ${u.displayName}`
				)
			);
			return;
		}
		case 'sessions list': {
			const sessions = await listSessions(system, v.user);
			print(v.json, sessions, () =>
				sessions.map((s) => `${s.id}  ${s.user.padEnd(16)} last seen ${s.lastSeen}`)
			);
			return;
		}
		case 'sessions revoke': {
			const which = v.all
				? { all: true as const }
				: v.user
					? { user: v.user }
					: arg
						? { id: arg }
						: null;
			if (!which) throw new UsageError('Say which: --user <name>, --all or a session id.');
			console.log(`${await revokeSessions(system, which)} session(s) revoked.`);
			return;
		}
		case 'db create': {
			if (arg) return void console.log(describe(await createDb(storage, { name: arg })));
			if (!v.school) throw new UsageError('Give a database name, or --school.');
			if (v.group || v.kind) {
				const req = (
					v.group
						? { schoolId: v.school, kind: 'group', groupId: v.group }
						: { schoolId: v.school, kind: v.kind }
				) as CreateDb;
				console.log(describe(await createDb(storage, req)));
			} else {
				for (const d of await createSchoolDbs(storage, v.school)) console.log(describe(d));
			}
			return;
		}
		case 'db list': {
			const dbs = await listDbs(storage);
			print(v.json, dbs, () =>
				dbs.map((d) => `${d.name.padEnd(40)} ${d.kind}${d.groupId ? ` ${d.groupId}` : ''}`)
			);
			return;
		}
		case 'db backup': {
			const name = needName();
			if (!(await storage.backend.existsNow(name))) throw new UsageError(`There is no ${name}.`);
			const out = v.out ? createWriteStream(resolve(v.out), { mode: 0o600 }) : process.stdout;
			for await (const line of backupLines(storage.db(name), name)) {
				if (!out.write(line)) await once(out, 'drain');
			}
			if (v.out) {
				out.end();
				await once(out, 'finish');
				console.error(`Backed up ${name} to ${v.out}.`);
			}
			return;
		}
		case 'db restore': {
			const name = needName();
			if (!v.in) throw new UsageError('Give the backup file with --in <file>.');
			const stats = await restoreLines(
				storage.db(name),
				name,
				linesOf(createReadStream(resolve(v.in)))
			);
			console.log(
				`Restored ${stats.docs} documents (${stats.revisions} leaf revisions, ${stats.attachments} attachments) into ${name}.`
			);
			return;
		}
	}
	throw new UsageError(`Unknown command: ${positionals.join(' ') || '(none)'}. See --help.`);
}

const describe = (d: { name: string; created: boolean }) =>
	`${d.created ? 'Created' : 'Exists already:'} ${d.name}`;

/** Runs the CLI; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: string[], io: Io = { stdin: process.stdin }): Promise<number> {
	let parsed: { values: Values; positionals: string[] };
	try {
		parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
	} catch (e) {
		console.error(`${(e as Error).message}\nSee --help.`);
		return 2;
	}
	const { values, positionals } = parsed;
	if (values.help || positionals.length === 0) {
		process.stdout.write(HELP);
		return values.help ? 0 : 2;
	}
	const dataDir = resolve(values['data-dir'] ?? process.env.KEHOU_DATA_DIR ?? './data');
	const options = storageOptionsFromEnv();
	if (!options.couchdb && !existsSync(join(dataDir, 'server.json'))) {
		console.error(
			`No Kehou data folder at ${dataDir}: give --data-dir, or start the server once (KEHOU_DEMO=0 starts an empty school).`
		);
		return 2;
	}
	const storage = new Storage(dataDir, options);
	try {
		await storage.init();
		await run(storage, positionals, values, io);
		return 0;
	} catch (e) {
		console.error(explain(e));
		return e instanceof UsageError ? 2 : 1;
	} finally {
		await storage.close().catch(() => undefined);
	}
}

function explain(e: unknown): string {
	if (e instanceof UsageError) return e.message;
	if (e instanceof z.ZodError) return `Invalid input: ${zodReason(e)}`;
	if (e instanceof AccountError || e instanceof CouchError) return e.message;
	const text = String((e as Error)?.message ?? e);
	if (/LOCK|lock/.test(text)) {
		return 'The data folder is in use by a running sync-server: stop it, or use the admin API (/_kehou/admin).';
	}
	return `Failed: ${text}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	process.exitCode = await main(process.argv.slice(2));
}
