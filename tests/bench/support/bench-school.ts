// The benchmark's school, shared by `server.ts`, the tablets and the fidelity spec: a school
// database of 500 documents, one teacher account per tablet with its own service class,
// and a tablet's afternoon (91 marks).
import { mark } from '../../../sync-server/test-helpers';
import { Storage, type Doc } from '../../../sync-server/storage';
import { hashPassword } from '../../../sync-server/users';

export const SCHOOL = 'bench';
export const SCHOOL_DB = `kh-${SCHOOL}--school`;
export const GROUP_DB_PATTERN = `kh-${SCHOOL}--g--{group}`;
export const AFTERNOON = 91;
export const SCHOOL_DOCS = 500;
export const PASSWORD = 'bench-password';

export const groupOf = (i: number) => `svc-${i}`;
export const authorOf = (i: number) => `t${i}`;
export const groupDbOf = (group: string) => GROUP_DB_PATTERN.replace('{group}', group);

export function schoolDocs(): Doc[] {
	const docs: Doc[] = [
		{ _id: 'school', type: 'school', name: '基准测试小学', termName: '2026–2027学年第一学期' }
	];
	for (let i = 0; docs.length < SCHOOL_DOCS && i < 200; i++) {
		docs.push({
			_id: `group:${groupOf(i)}`,
			type: 'group',
			id: groupOf(i),
			kind: 'service',
			name: `课后服务 ${i}`,
			teacherIds: [`t-${i}`],
			capacity: 45
		});
	}
	for (let i = 0; docs.length < SCHOOL_DOCS; i++) {
		docs.push({
			_id: `staff:t-${i}`,
			type: 'staff',
			id: `t-${i}`,
			name: `教师${i}`,
			roles: ['teacher']
		});
	}
	return docs;
}

/**
 * A tablet's afternoon: 45 roll-call marks, 45 releases and one care log. The domain has no
 * release or care-log documents yet, so all 91 are marks (see sync-server/README.md).
 */
export function afternoonDocs(index: number, n = AFTERNOON): Doc[] {
	return Array.from({ length: n }, (_, i) =>
		mark({
			groupId: groupOf(index),
			studentId: `s${String(i % 45).padStart(4, '0')}`,
			status: i < 45 ? 'present' : 'leave',
			author: authorOf(index),
			deviceId: `tablet-${index}-bench`
		})
	);
}

/**
 * Accounts `t0…t{n-1}` (teachers of `svc-0…`), their classes' (empty) databases and the
 * school database, written into a data folder before our server opens it (LevelDB is
 * locked while the server runs).
 */
export async function seedKehou(dataDir: string, n: number): Promise<void> {
	const storage = new Storage(dataDir, {});
	await storage.init();
	const password = await hashPassword(PASSWORD);
	const now = new Date().toISOString();
	await storage.system.bulkDocs(
		Array.from({ length: n }, (_, i) => ({
			_id: `user:${authorOf(i)}`,
			type: 'user',
			name: authorOf(i),
			displayName: `教师${i}`,
			schoolId: SCHOOL,
			staffId: null,
			roles: ['teacher'],
			groups: [groupOf(i)],
			password,
			createdAt: now
		})) as unknown as Doc[]
	);
	await storage.db(SCHOOL_DB).bulkDocs(schoolDocs());
	// Each class's database exists before its tablet's first afternoon: the administrator
	// creates it with the class (admin-dbs.ts), not the first push.
	for (let i = 0; i < n; i++) await storage.create(groupDbOf(groupOf(i)));
	await storage.close();
}
