import { describe, expect, it } from 'vitest';
import { v7 } from 'uuid';
import { validateDoc, type Pickup } from '$lib/domain';
import {
	arrivalBody,
	careLogBody,
	extendedCareBodies,
	handoverBody,
	unlistedArrivalBody,
	leaveReasonBody,
	markable,
	overrideBody,
	releaseBody
} from './session-actions';

const k = { groupId: 'svc-3-1', date: '2026-11-30' };
const pickup = {
	_id: 'pickup:p-1',
	type: 'pickup',
	id: 'p-1',
	groupId: 'svc-3-1',
	studentId: 'stu-1',
	name: '林大伟',
	relation: 'father'
} as unknown as Pickup;

/** What the repository adds before writing. */
function envelope(body: Record<string, unknown> & { type: string }) {
	const id = v7();
	return {
		...body,
		_id: `${body.type}:${id}`,
		id,
		at: '2026-11-30T09:30:00.000Z',
		deviceId: 'dev-test-0001',
		author: 'teacher'
	};
}

const valid = (body: Record<string, unknown> & { type: string }) => {
	const r = validateDoc(envelope(body));
	if (!r.ok) throw new Error(r.reason);
	return true;
};

/** The document as stored, once the schema has accepted it. */
const stored = (body: Record<string, unknown> & { type: string }) => {
	const r = validateDoc(envelope(body));
	if (!r.ok) throw new Error(r.reason);
	return r.doc;
};

describe('session actions write schema-valid events', () => {
	it('releases to an authorised adult', () => {
		const b = releaseBody(k, 'stu-1', pickup);
		expect(valid(b)).toBe(true);
		expect(b).toMatchObject({ pickupId: 'p-1', adult: { name: '林大伟', relation: 'father' } });
	});

	it('records an override only with a note', () => {
		expect(
			valid(
				overrideBody(k, 'stu-1', {
					name: '王阿姨',
					relation: 'neighbour',
					note: '妈妈电话确认，邻居代接'
				})
			)
		).toBe(true);
		expect(() =>
			valid(overrideBody(k, 'stu-1', { name: '王阿姨', relation: 'neighbour', note: '' }))
		).toThrow(/override/);
	});

	it('hands over to a group, or to the gate with the packet', () => {
		expect(valid(handoverBody(k, 'stu-1', { kind: 'group', groupId: 'club-weiqi' }))).toBe(true);
		const gate = handoverBody(
			k,
			'stu-1',
			{ kind: 'gate' },
			{ student: undefined, pickups: [pickup] }
		);
		expect(valid(gate)).toBe(true);
		expect(gate.gate).toMatchObject({ pickups: [{ pickupId: 'p-1', name: '林大伟' }] });
		expect(() => valid(handoverBody(k, 'stu-1', { kind: 'group', groupId: 'svc-3-1' }))).toThrow();
		const named = handoverBody(
			k,
			'stu-1',
			{ kind: 'group', groupId: 'club-weiqi' },
			{ student: { name: '林小禾', className: '三(1)班' } as never, pickups: [] }
		);
		expect(valid(named)).toBe(true);
		expect(named.child).toEqual({ studentName: '林小禾', className: '三(1)班' });
	});

	it('confirms a handed-over child as an arrival naming the handover', () => {
		const b = arrivalBody(k, 'stu-1', { id: v7(), groupId: 'club-weiqi' });
		expect(valid(b)).toBe(true);
		expect(b).toMatchObject({ fromGroupId: 'club-weiqi' });
	});

	it('gives a leave a reason as a correction', () => {
		expect(valid(leaveReasonBody(k, 'stu-1', '发烧，家长来电', v7()))).toBe(true);
	});

	it('writes a care log with at least one activity', () => {
		const log = { children: [], safetyNotes: '', summary: '', photos: [] };
		expect(valid(careLogBody(k, { ...log, activities: ['homework', 'sports'] }))).toBe(true);
		expect(() => valid(careLogBody(k, { ...log, activities: [] }))).toThrow();
	});

	it('writes a line per child, notes only where written, photos attached, amendments with why', () => {
		const body = careLogBody(k, {
			activities: ['homework', 'homework', 'reading'],
			children: [
				{ studentId: 'stu-1', homework: 'done', note: ' ' },
				{ studentId: 'stu-2', homework: 'partial', note: ' 数学练习没写完 ' }
			],
			safetyNotes: ' ',
			summary: ' 秩序良好 ',
			photos: [{ name: 'photo-1.jpg', data: '/9j/4AAQ' }],
			amend: { supersedes: v7(), reason: ' 补记作业 ' }
		});
		expect(body).toMatchObject({
			activities: ['homework', 'reading'],
			children: [
				{ studentId: 'stu-1', homework: 'done' },
				{ studentId: 'stu-2', homework: 'partial', note: '数学练习没写完' }
			],
			summary: '秩序良好',
			photos: ['photo-1.jpg'],
			reason: '补记作业'
		});
		expect(body).not.toHaveProperty('safetyNotes');
		expect((body.children as object[])[0]).not.toHaveProperty('note');
		expect(valid(body)).toBe(true);
	});

	it('lets only children still in the group be re-marked', () => {
		const s = { studentId: 's', expected: true, flags: [] };
		expect(markable({ ...s, status: 'present' })).toBe(true);
		expect(markable({ ...s, status: 'expected' })).toBe(true);
		expect(markable({ ...s, status: 'released' })).toBe(false);
		expect(markable({ ...s, status: 'handed-over' })).toBe(false);
	});
});

describe('a child taken in off the list', () => {
	it('is an arrival under a walk-in id with name, class and reason', () => {
		const doc = stored(
			unlistedArrivalBody(k, '0f3c', {
				studentName: ' 王小禾 ',
				className: '二(3)班',
				reason: '家长临时送来'
			})
		);
		expect(doc).toMatchObject({
			studentId: 'walkin-0f3c',
			unlisted: { studentName: '王小禾', className: '二(3)班' }
		});
	});

	it('is refused without a reason', () => {
		const r = validateDoc(
			envelope(
				unlistedArrivalBody(k, '0f3c', { studentName: '王小禾', className: '二(3)班', reason: '' })
			)
		);
		expect(r.ok).toBe(false);
	});
});

describe('extended care (延时托管)', () => {
	it('hands each child still here to the extended-care group, named for the receiver', () => {
		const student = { id: 'stu-1', name: '林子涵', className: '三(1)班' } as never;
		const bodies = extendedCareBodies(k, 'ext-care', [
			{ studentId: 'stu-1', student },
			{
				studentId: 'walkin-1',
				student: undefined,
				visitor: { name: '王小禾', className: '二(3)班' }
			}
		]);
		expect(bodies.map(stored)).toMatchObject([
			{ to: { kind: 'group', groupId: 'ext-care' }, child: { studentName: '林子涵' } },
			{ studentId: 'walkin-1', child: { studentName: '王小禾', className: '二(3)班' } }
		]);
	});
});
