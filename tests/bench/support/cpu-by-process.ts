// CPU time used by every process on the machine between two snapshots (Linux `/proc`),
// grouped as the client bench needs it: the sync-server, Chromium's browser process (where
// IndexedDB's backend runs), its renderer, and everything else by command name. On other
// systems the snapshot is empty and nothing is printed.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

export type CpuSnapshot = Map<string, number>;

function kindOf(comm: string, cmdline: string): string {
	if (cmdline.includes('sync-server/main.ts')) return 'sync-server';
	if (/chrom/i.test(comm) || cmdline.includes('chromium')) {
		const type = /--type=(\S+)/.exec(cmdline)?.[1];
		return type ? `chromium ${type}` : 'chromium browser';
	}
	return comm;
}

/** CPU milliseconds (user + system) used so far, summed per kind of process. */
export function cpuSnapshot(): CpuSnapshot {
	const out: CpuSnapshot = new Map();
	if (!existsSync('/proc/self/stat')) return out;
	for (const pid of readdirSync('/proc')) {
		if (!/^\d+$/.test(pid)) continue;
		try {
			const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
			const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
			// Fields after the command: state is the first, utime the 12th, stime the 13th.
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
			const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
			const kind = kindOf(comm, cmdline);
			out.set(kind, (out.get(kind) ?? 0) + ms);
		} catch {
			// The process ended between the listing and the read.
		}
	}
	return out;
}

/** What each kind used between two snapshots, largest first (kinds under 20 ms left out). */
export function cpuSince(before: CpuSnapshot, after = cpuSnapshot()): [string, number][] {
	return [...after]
		.map(([k, v]): [string, number] => [k, v - (before.get(k) ?? 0)])
		.filter(([, v]) => v >= 20)
		.sort((a, b) => b[1] - a[1]);
}
