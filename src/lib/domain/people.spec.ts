import { describe, expect, it } from 'vitest';
import { makeGuardian, makePickup, makeStudentRecord } from '../../../tests/fixtures/factories';
import { validateDoc } from './documents';
import { authorisedPickups, pickupFromGuardian, pickupValidOn, studentCard } from './people';

describe('projections into a group database', () => {
	it('makes a valid student card without the sensitive fields', () => {
		const record = makeStudentRecord({ hardshipBasis: 'dibao', priorities: ['hardship'] });
		const card = studentCard(record, 'club-weiqi');
		expect(validateDoc(card).ok).toBe(true);
		expect(card).toMatchObject({ _id: `student:${record.id}`, groupId: 'club-weiqi' });
		const json = JSON.stringify(card);
		for (const secret of ['hardship', 'dibao', '花生过敏', '外婆', 'priorities']) {
			expect(json).not.toContain(secret);
		}
	});

	it('makes a valid pickup from a guardian, without the phone', () => {
		const g = makeGuardian({ phone: '139 1234 5678' });
		const p = pickupFromGuardian(g, 'svc-3-1', { validFrom: '2026-09-01' });
		expect(validateDoc(p).ok).toBe(true);
		expect(p).toMatchObject({ name: g.name, relation: g.relation, photo: 'face.jpg' });
		expect(JSON.stringify(p)).not.toContain('1234');
	});
});

describe('pickup validity', () => {
	it('honours ranges and one-time delegates', () => {
		const standing = makePickup({ validFrom: '2026-09-01', validTo: '2026-12-31' });
		const once = makePickup({ onDate: '2026-11-30', name: '韦志诚', relation: 'neighbour' });
		expect(pickupValidOn(standing, '2026-11-30')).toBe(true);
		expect(pickupValidOn(standing, '2027-01-04')).toBe(false);
		expect(pickupValidOn(once, '2026-11-30')).toBe(true);
		expect(pickupValidOn(once, '2026-12-01')).toBe(false);
		const other = makePickup({ studentId: 'stu-2' });
		expect(authorisedPickups([standing, once, other], 'stu-1', '2026-12-01')).toEqual([standing]);
	});
});
