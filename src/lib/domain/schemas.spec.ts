import { describe, expect, it } from 'vitest';
import * as f from '../../../tests/fixtures/factories';
import { documentSchemas, EVENT_TYPES, validateDoc, type DocType } from './documents';
import { ROUTED_TYPES } from './databases';

/** One valid document per type, from the factories. */
const VALID: Record<DocType, () => unknown> = {
	school: () => ({
		_id: 'school',
		type: 'school',
		name: '青禾实验小学',
		termName: '2026–2027学年第一学期',
		termStart: '2026-09-01',
		termEnd: '2027-01-22',
		serviceStart: '15:30',
		serviceEnd: '17:30',
		currentTermId: '2026-autumn'
	}),
	term: () => f.makeTerm(),
	staff: () => ({
		_id: 'staff:t-lin',
		type: 'staff',
		id: 't-lin',
		name: '林晓燕',
		roles: ['teacher', 'head-teacher'],
		groupIds: ['svc-3-1'],
		classIds: ['3-1']
	}),
	'admin-class': () => f.makeAdminClass(),
	group: () => f.makeGroup({ endTime: '17:30', adminClassIds: ['3-1', '3-2'] }),
	venue: () => f.makeVenue(),
	slot: () => f.makeSlot(),
	student: () => f.makeStudent(),
	pickup: () => f.makePickup({ photo: 'face.jpg', validFrom: '2026-09-01' }),
	enrollment: () => f.makeEnrollment('stu-1', 'join', '2026-09-07'),
	mark: () => f.makeMark('stu-1', 'present'),
	arrival: () => f.makeArrival('stu-1'),
	handover: () => f.makeHandover('stu-1'),
	release: () => f.makeRelease('stu-1'),
	'care-log': () => f.makeCareLog(),
	'activity-record': () => f.makeActivityRecord(),
	incident: () => f.makeIncident(),
	'gate-registration': () => f.makeGateRegistration({ phone: '0519-8888 0000' }),
	application: () => f.makeApplication('stu-1'),
	'class-review': () => f.makeClassReview(f.makeApplication('stu-1').id),
	'school-review': () => f.makeSchoolReview(f.makeApplication('stu-1').id),
	placement: () => f.makePlacement(f.makeApplication('stu-1').id),
	leave: () => f.makeLeave('stu-1'),
	'student-record': () => f.makeStudentRecord(),
	guardian: () => f.makeGuardian(),
	agreement: () => f.makeAgreement(),
	'fee-rule': () => f.makeFeeRule(),
	waiver: () => f.makeWaiver(),
	survey: () => f.makeSurvey(),
	'survey-response': () => f.makeSurveyResponse(),
	patrol: () => f.makePatrol(),
	evaluation: () => f.makeEvaluation()
};

describe('every document type', () => {
	it.each(Object.keys(documentSchemas) as DocType[])('%s: the factory document is valid', (t) => {
		const result = validateDoc(VALID[t]());
		expect(result.ok ? 'ok' : result.reason).toBe('ok');
	});

	it('has a home database rule for every schema and a schema for every rule', () => {
		expect([...ROUTED_TYPES].sort()).toEqual(Object.keys(documentSchemas).sort());
	});

	it.each([...EVENT_TYPES])('%s (an event) refuses an unknown field and a foreign _id', (t) => {
		const doc = VALID[t as DocType]() as Record<string, unknown>;
		expect(validateDoc({ ...doc, extra: 1 }).ok).toBe(false);
		expect(validateDoc({ ...doc, _id: `${t}:0190a000-0000-7000-8000-000000000001` }).ok).toBe(
			false
		);
	});

	it('refuses prototype keys as types', () => {
		expect(validateDoc({ _id: 'x', type: 'toString' })).toEqual({
			ok: false,
			reason: 'Unknown document type: "toString".'
		});
	});
});

const iv = <T extends object>(doc: T, over: Record<string, unknown>) => ({ ...doc, ...over });

describe('schemas refuse invalid documents with a reason', () => {
	const release = f.makeRelease('stu-1');
	const handover = f.makeHandover('stu-1');
	const mark = f.makeMark('stu-1', 'present');
	it.each([
		// privacy split: phones and sensitive fields never validate in group documents
		['a phone on a pickup', iv(f.makePickup(), { phone: '13900000000' }), 'Unrecognized'],
		[
			'a priority category on a card',
			iv(f.makeStudent(), { priorities: ['hardship'] }),
			'Unrecognized'
		],
		['health notes on a card', iv(f.makeStudent(), { healthNotes: 'x' }), 'Unrecognized'],
		[
			'a pickup both one-time and ranged',
			f.makePickup({ onDate: '2026-11-30', validTo: '2026-12-01' }),
			'onDate'
		],
		[
			'a pickup valid backwards',
			f.makePickup({ validFrom: '2026-12-01', validTo: '2026-11-01' }),
			'validTo'
		],
		['a guardian without a phone', iv(f.makeGuardian(), { phone: undefined }), 'phone'],
		['a guardian with a bad phone', f.makeGuardian({ phone: 'call me' }), 'phone'],
		['a photo that is a URL', f.makePickup({ photo: 'https://x.example/a.jpg' }), 'photo'],
		[
			'a record with a priority twice',
			f.makeStudentRecord({ priorities: ['migrant', 'migrant'] }),
			'priorities'
		],
		[
			'a hardship basis without the category',
			f.makeStudentRecord({ priorities: [], hardshipBasis: 'dibao' }),
			'hardshipBasis'
		],
		// school database
		['a slot ending before it starts', f.makeSlot({ start: '16:30', end: '15:30' }), 'end'],
		['a slot on weekday 8', f.makeSlot({ weekday: 8 }), 'weekday'],
		['a slot with an unknown activity', iv(f.makeSlot(), { activity: 'lesson' }), 'activity'],
		['a time 24:00', f.makeSlot({ end: '24:00' }), 'end'],
		['a service class over 45', f.makeGroup({ capacity: 46 }), '45'],
		['a grade 7 class', f.makeAdminClass({ grade: 7 }), 'grade'],
		// events
		[
			'a correction without a reason',
			iv(release, { supersedes: f.makeRelease('stu-1').id }),
			'reason'
		],
		[
			'a retraction without a target',
			iv(release, { retracted: true, reason: 'wrong child' }),
			'supersedes'
		],
		[
			'a self-superseding release',
			iv(release, { supersedes: release.id, reason: 'x' }),
			'supersedes'
		],
		[
			'a retracted mark without a reason',
			iv(mark, { supersedes: f.makeMark('a', 'absent').id, retracted: true }),
			'reason'
		],
		['a release without pickup or override', iv(release, { pickupId: undefined }), 'override'],
		['a release with both', iv(release, { override: { note: '家长电话确认' } }), 'override'],
		[
			'an override without a real note',
			iv(release, { pickupId: undefined, override: { note: 'ok' } }),
			'override.note'
		],
		[
			'a handover to the same group',
			f.makeHandover('s', { to: { kind: 'group', groupId: 'svc-3-1' } }),
			'to.groupId'
		],
		['a handover to the gate without the packet', iv(handover, { to: { kind: 'gate' } }), 'gate'],
		[
			'a group handover with a gate packet',
			iv(handover, { gate: { studentName: '林小禾', className: '三(1)班', pickups: [] } }),
			'gate'
		],
		[
			'an arrival with a handover but no sender',
			f.makeArrival('s', { handoverId: handover.id }),
			'fromGroupId'
		],
		[
			'a child taken in off the list without a reason',
			f.makeArrival('walkin-1', { unlisted: { studentName: '王小禾', className: '二(3)班' } }),
			'reason'
		],
		[
			'a walk-in id without the child named',
			f.makeArrival('walkin-1', { reason: '家长临时送来' }),
			'studentId'
		],
		[
			'an unlisted child under a real student id',
			f.makeArrival('s', {
				unlisted: { studentName: '王小禾', className: '二(3)班' },
				reason: '家长临时送来'
			}),
			'studentId'
		],
		[
			'a leave ending before it starts',
			f.makeLeave('s', { firstDay: '2026-12-02', lastDay: '2026-12-01' }),
			'lastDay'
		],
		['a leave for no group', f.makeLeave('s', { groupIds: [] }), 'groupIds'],
		['an unexplained "other" leave', f.makeLeave('s', { cause: 'other', details: ' ' }), 'details'],
		['a care log with no activity', f.makeCareLog({ activities: [] }), 'activities'],
		[
			'a care log with a child twice',
			f.makeCareLog({ children: [{ studentId: 'a' }, { studentId: 'a' }] }),
			'children'
		],
		['an incident without children', f.makeIncident({ studentIds: [] }), 'studentIds'],
		['an incident without actions', f.makeIncident({ actions: ' ' }), 'actions'],
		[
			'parents told "when" but not told',
			f.makeIncident({ parentsInformed: false }),
			'parentsInformedAt'
		],
		['a gate visitor without purpose', f.makeGateRegistration({ purpose: '' }), 'purpose'],
		[
			'a problem resolved without follow-up',
			f.makePatrol({ rating: 'problem', resolved: true }),
			'resolved'
		],
		['an evaluation score over 100', f.makeEvaluation({ scores: { safety: 101 } }), 'scores'],
		[
			'an evaluation period 2026-13',
			f.makeEvaluation({ period: '2026-13' as '2026-12' }),
			'period'
		],
		// enrollment chain and admin
		[
			'extended care without a need',
			f.makeApplication('s', { endChoice: 'extended' }),
			'extendedReason'
		],
		['a rejection without a note', f.makeClassReview(mark.id, { decision: 'rejected' }), 'note'],
		['a placement in no group', f.makePlacement(mark.id, { groupIds: [] }), 'groupIds'],
		['a waiver of 0%', f.makeWaiver({ percent: 0 }), 'percent'],
		['a waiver on "other" basis without a note', f.makeWaiver({ basis: 'other' }), 'note'],
		['a fee in fractions of fen', f.makeFeeRule({ amountFen: 300.5 }), 'amountFen'],
		['a survey closing before it opens', f.makeSurvey({ closes: '2026-08-01' }), 'closes'],
		[
			'a choice question without options',
			f.makeSurvey({ questions: [{ key: 'a', text: '?', kind: 'choice' }] }),
			'options'
		],
		[
			'an agreement without insurance answer',
			iv(f.makeAgreement(), { insurance: undefined }),
			'insurance'
		]
	])('refuses %s', (_label, doc, fragment) => {
		const result = validateDoc(doc);
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.reason).toContain(fragment);
	});
});

describe('a child taken in off the list', () => {
	it('is an arrival under a walk-in id, with name, class and reason', () => {
		const a = f.makeArrival('walkin-0a1b2c', {
			unlisted: { studentName: '王小禾', className: '二(3)班' },
			reason: '家长临时送来，班主任已知'
		});
		expect(validateDoc(a)).toMatchObject({ ok: true });
	});
});

describe('the term schema', () => {
	it.each([
		['service under 2 hours', { serviceStart: '15:40', serviceEnd: '17:30' }, 'at least 2 hours'],
		[
			'service ending before office closing',
			{ serviceStart: '15:00', serviceEnd: '17:10', officeClose: '17:30' },
			'office closing'
		],
		['extended care not after the end', { extendedCareEnd: '17:30' }, 'extended care'],
		['a term ending before it starts', { end: '2026-08-01' }, 'ends before'],
		['service starting outside the term', { serviceFrom: '2027-02-01' }, 'serviceFrom'],
		[
			'an override outside the term',
			{ overrides: [{ date: '2027-03-01', kind: 'off' as const }] },
			'inside the term'
		],
		[
			'two overrides on one date',
			{
				overrides: [
					{ date: '2026-10-12', kind: 'off' as const },
					{ date: '2026-10-12', kind: 'service' as const }
				]
			},
			'two overrides'
		],
		[
			'a day off following a timetable',
			{ overrides: [{ date: '2026-10-12', kind: 'off' as const, timetableWeekday: 2 }] },
			'timetableWeekday'
		]
	])('refuses %s', (_label, over, fragment) => {
		const result = validateDoc(f.makeTerm(over));
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.reason).toContain(fragment);
	});

	it('accepts exactly two hours ending at office closing', () => {
		expect(validateDoc(f.makeTerm({ serviceStart: '15:30', serviceEnd: '17:30' })).ok).toBe(true);
	});
});
