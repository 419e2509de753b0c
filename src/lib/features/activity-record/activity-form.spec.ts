import { describe, expect, it } from 'vitest';
import { makeActivityRecord, makeSlot } from '../../../../tests/fixtures/factories';
import { validateDoc } from '$lib/domain';
import {
	activityFrom,
	activityProblems,
	activityRecordBody,
	emptyActivity,
	timetableKinds,
	type ActivityInput
} from './activity-form';

const filled: ActivityInput = {
	title: ' 树叶拼贴 ',
	activities: ['theme', 'theme'],
	content: '每人收集三种树叶',
	highlights: '',
	studentWork: ' 拼贴画 20 幅 '
};

const envelope = (body: Record<string, unknown>) => {
	const id = '019ad000-0000-7000-8000-000000000001';
	return {
		...body,
		_id: `${String(body.type)}:${id}`,
		id,
		at: '2026-12-04T08:00:00.000Z',
		deviceId: 'dev-test-0001',
		author: 'teacher'
	};
};

describe('the activity record form', () => {
	it('names what is missing, and the reason only for an amendment', () => {
		expect(activityProblems(filled)).toEqual([]);
		expect(activityProblems(emptyActivity([]))).toEqual(['title', 'activities', 'content']);
		expect(activityProblems(filled, { supersedes: 'x', reason: ' ' })).toEqual(['reason']);
	});

	it('writes a body the shared schema accepts, trimmed, without empty fields', () => {
		const body = activityRecordBody('svc-3-1', '2026-11-30', filled, [
			{ name: 'photo-1.jpg', data: '/9j/4AAQ' }
		]);
		expect(body).toEqual({
			type: 'activity-record',
			groupId: 'svc-3-1',
			weekOf: '2026-11-30',
			title: '树叶拼贴',
			activities: ['theme'],
			content: '每人收集三种树叶',
			studentWork: '拼贴画 20 幅',
			photos: ['photo-1.jpg'],
			_attachments: { 'photo-1.jpg': { content_type: 'image/jpeg', data: '/9j/4AAQ' } }
		});
		expect(validateDoc(envelope(body)).ok).toBe(true);
	});

	it('amends: the new record names the old one and why', () => {
		const old = makeActivityRecord({ highlights: '亮点' });
		const input = activityFrom(old);
		expect(input.highlights).toBe('亮点');
		const body = activityRecordBody('svc-3-1', old.weekOf, input, [], {
			supersedes: old.id,
			reason: '补充亮点'
		});
		expect(body).toMatchObject({ supersedes: old.id, reason: '补充亮点' });
		expect(body).not.toHaveProperty('photos');
		expect(validateDoc(envelope(body)).ok).toBe(true);
	});

	it('defaults the kinds to the timetable, in the week’s order', () => {
		expect(
			timetableKinds([
				makeSlot({ weekday: 2, start: '15:30', activity: 'club' }),
				makeSlot({ weekday: 1, start: '16:30', activity: 'reading' }),
				makeSlot({ weekday: 1, start: '15:30', activity: 'homework' }),
				makeSlot({ weekday: 3, start: '15:30', activity: 'homework' })
			])
		).toEqual(['homework', 'reading', 'club']);
	});
});
