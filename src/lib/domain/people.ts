// Projections from the administration database into group databases, and the pickup
// rule at release. The projections are the privacy split in code: they copy named fields
// only, so nothing added to the admin record later can leak into a group by accident.
import type { Guardian, Pickup, StudentRecord } from './people.schema';
import type { Student } from './reference.schema';

/** The card of a child as a group's database holds it. */
export function studentCard(record: StudentRecord, groupId: string): Student {
	return {
		_id: `student:${record.id}`,
		type: 'student',
		id: record.id,
		name: record.name,
		gender: record.gender,
		studentNo: record.studentNo,
		className: record.className,
		groupId
	};
}

/** A standing pickup authorisation for one group, made from a guardian (no phone). */
export function pickupFromGuardian(
	guardian: Guardian,
	groupId: string,
	validity: { validFrom?: string; validTo?: string } = {}
): Pickup {
	return {
		_id: `pickup:${guardian.id}`,
		type: 'pickup',
		id: guardian.id,
		groupId,
		studentId: guardian.studentId,
		name: guardian.name,
		relation: guardian.relation,
		guardianId: guardian.id,
		...(guardian.photo ? { photo: guardian.photo } : {}),
		...validity
	};
}

/** Is this authorisation good on `date`? One-time delegates only on their day. */
export function pickupValidOn(p: Pickup, date: string): boolean {
	if (p.onDate) return p.onDate === date;
	return (!p.validFrom || p.validFrom <= date) && (!p.validTo || date <= p.validTo);
}

/** The adults who may collect this child on this date. */
export function authorisedPickups(
	pickups: readonly Pickup[],
	studentId: string,
	date: string
): Pickup[] {
	return pickups.filter((p) => p.studentId === studentId && pickupValidOn(p, date));
}
