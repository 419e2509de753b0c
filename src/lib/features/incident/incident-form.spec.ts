import { describe, expect, it } from 'vitest';
import { makeIncident } from '../../../../tests/fixtures/factories';
import { schoolInstant, schoolTime, validateDoc } from '$lib/domain';
import {
	emptyIncident,
	incidentBody,
	incidentFrom,
	incidentProblems,
	type IncidentInput
} from './incident-form';

const envelope = (body: Record<string, unknown>) => {
	const id = '019ad000-0000-7000-8000-000000000002';
	return {
		...body,
		_id: `incident:${id}`,
		id,
		at: '2026-11-30T08:30:00.000Z',
		deviceId: 'dev-test-0001',
		author: 'teacher'
	};
};

const filled: IncidentInput = {
	date: '2026-11-30',
	kind: 'injury',
	time: '16:10',
	studentIds: ['stu-1', 'stu-2', 'stu-1'],
	description: ' 跳绳时摔倒 ',
	actions: '校医处理',
	parentsInformed: true,
	parentsTime: '16:25',
	followUp: ''
};

describe('the incident form', () => {
	it('takes an earlier day reported late, never a day to come', () => {
		expect(emptyIncident(new Date('2026-11-30T15:59:00.000Z')).date).toBe('2026-11-30');
		expect(emptyIncident(new Date('2026-11-30T16:01:00.000Z')).date).toBe('2026-12-01');
		expect(incidentProblems({ ...filled, date: '2026-11-27' }, undefined, '2026-11-30')).toEqual(
			[]
		);
		expect(incidentProblems({ ...filled, date: '2026-12-01' }, undefined, '2026-11-30')).toEqual([
			'date'
		]);
		expect(incidentProblems({ ...filled, date: '' })).toEqual(['date']);
		const body = incidentBody('svc-3-1', '2026-11-27', { ...filled, date: '2026-11-27' });
		expect(body).toMatchObject({ date: '2026-11-27', occurredAt: '2026-11-27T08:10:00.000Z' });
	});

	it('reads and writes school time (UTC+8)', () => {
		expect(schoolInstant('2026-11-30', '16:10')).toBe('2026-11-30T08:10:00.000Z');
		expect(schoolTime('2026-11-30T08:10:00.000Z')).toBe('16:10');
		expect(emptyIncident(new Date('2026-11-30T08:10:00.000Z')).time).toBe('16:10');
	});

	it('names every missing piece', () => {
		const empty = {
			...emptyIncident(new Date()),
			time: '25:00',
			parentsInformed: true,
			parentsTime: ''
		};
		expect(incidentProblems(empty, { reason: '' })).toEqual([
			'kind',
			'time',
			'children',
			'description',
			'actions',
			'parentsTime',
			'reason'
		]);
		expect(incidentProblems(filled)).toEqual([]);
		expect(incidentProblems({ ...filled, parentsInformed: false, parentsTime: '' })).toEqual([]);
	});

	it('writes a body the shared schema accepts', () => {
		const body = incidentBody('svc-3-1', '2026-11-30', filled);
		expect(body).toMatchObject({
			occurredAt: '2026-11-30T08:10:00.000Z',
			parentsInformedAt: '2026-11-30T08:25:00.000Z',
			studentIds: ['stu-1', 'stu-2'],
			description: '跳绳时摔倒'
		});
		expect(body).not.toHaveProperty('followUp');
		expect(validateDoc(envelope(body)).ok).toBe(true);
		const untold = incidentBody('svc-3-1', '2026-11-30', { ...filled, parentsInformed: false });
		expect(untold).not.toHaveProperty('parentsInformedAt');
		expect(validateDoc(envelope(untold)).ok).toBe(true);
	});

	it('amends a saved report, naming it and why', () => {
		const old = makeIncident({ followUp: '明天回访' });
		const input = incidentFrom(old);
		expect(input).toMatchObject({ time: '16:10', parentsTime: '16:20', followUp: '明天回访' });
		const body = incidentBody(old.groupId, old.date, input, { supersedes: old.id, reason: '补记' });
		expect(validateDoc(envelope(body)).ok).toBe(true);
		expect(body).toMatchObject({ supersedes: old.id, reason: '补记', followUp: '明天回访' });
	});
});
