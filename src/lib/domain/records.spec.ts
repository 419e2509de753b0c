import { describe, expect, it } from 'vitest';
import * as f from '../../../tests/fixtures/factories';
import { validateDoc } from './documents';
import {
	currentActivityRecords,
	currentCareLog,
	currentIncidents,
	incidentsForOffice
} from './records';
import { PHOTO_MAX_BYTES, attachmentBytes } from './records.schema';

const jpeg = (bytes: number) => ({
	content_type: 'image/jpeg',
	data: Buffer.alloc(bytes, 7).toString('base64')
});
const reasonOf = (doc: unknown) => {
	const r = validateDoc(doc);
	return r.ok ? 'ok' : r.reason;
};

describe('photos on records', () => {
	it('counts the bytes of inline data and of stubs', () => {
		for (const n of [0, 1, 2, 3, 4, 1000]) expect(attachmentBytes(jpeg(n))).toBe(n);
		expect(attachmentBytes({ stub: true, length: 12 })).toBe(12);
		expect(attachmentBytes({ stub: true })).toBeNull();
		expect(attachmentBytes(null)).toBeNull();
	});

	it('accepts listed JPEGs up to the bound, on activity records and care logs', () => {
		const att = { 'a.jpg': jpeg(PHOTO_MAX_BYTES), 'b.jpg': jpeg(10) };
		expect(reasonOf(f.makeActivityRecord({ photos: ['a.jpg', 'b.jpg'], _attachments: att }))).toBe(
			'ok'
		);
		expect(reasonOf(f.makeCareLog({ photos: ['a.jpg', 'b.jpg'], _attachments: att }))).toBe('ok');
		expect(reasonOf(f.makeCareLog({ photos: undefined }))).toBe('ok');
		expect(reasonOf(f.makeActivityRecord({ photos: [], _attachments: undefined }))).toBe('ok');
	});

	it.each([
		['a photo over the bound', { 'a.jpg': jpeg(PHOTO_MAX_BYTES + 1) }, ['a.jpg'], 'at most 400 KB'],
		['a PNG', { 'a.jpg': { ...jpeg(10), content_type: 'image/png' } }, ['a.jpg'], 'image/jpeg'],
		['a listed photo without its image', {}, ['a.jpg'], 'not attached'],
		['an image not listed', { 'a.jpg': jpeg(10), 'x.bin': jpeg(1) }, ['a.jpg'], 'x.bin'],
		['a photo listed twice', { 'a.jpg': jpeg(10) }, ['a.jpg', 'a.jpg'], 'twice'],
		[
			'a stub without a length',
			{ 'a.jpg': { content_type: 'image/jpeg', stub: true } },
			['a.jpg'],
			'unreadable'
		],
		['a path as a name', { '../a.jpg': jpeg(1) }, ['../a.jpg'], 'photos']
	])('refuses %s', (_label, attachments, photos, fragment) => {
		expect(reasonOf(f.makeActivityRecord({ photos, _attachments: attachments }))).toContain(
			fragment
		);
	});

	it('bounds the count: nine on an activity record, four on a care log', () => {
		const names = Array.from({ length: 10 }, (_, i) => `p${i}.jpg`);
		const att = Object.fromEntries(names.map((n) => [n, jpeg(4)]));
		expect(reasonOf(f.makeActivityRecord({ photos: names, _attachments: att }))).toContain(
			'at most 9 photos'
		);
		const five = names.slice(0, 5);
		expect(
			reasonOf(
				f.makeCareLog({
					photos: five,
					_attachments: Object.fromEntries(five.map((n) => [n, jpeg(4)]))
				})
			)
		).toContain('at most 4 photos');
	});
});

describe('activity record fields', () => {
	it('keeps highlights and the student work shown', () => {
		expect(
			reasonOf(f.makeActivityRecord({ highlights: '朗读声音洪亮', studentWork: '手抄报 12 份' }))
		).toBe('ok');
	});

	it.each([
		['a week not starting on Monday', { weekOf: '2026-12-01' }, 'Monday'],
		['a blank title', { title: '  ' }, 'title'],
		['no activity', { activities: [] }, 'activities'],
		['an activity twice', { activities: ['reading', 'reading'] as const }, 'twice'],
		['a blank content', { content: ' ' }, 'content'],
		['an unknown field', { mood: 'happy' }, 'mood'],
		['an amendment without a reason', { supersedes: f.makeActivityRecord().id }, 'reason']
	])('refuses %s', (_label, over, fragment) => {
		expect(reasonOf(f.makeActivityRecord(over as never))).toContain(fragment);
	});
});

describe('incident fields', () => {
	it('needs the time the parents were told when they were told', () => {
		expect(reasonOf(f.makeIncident({ parentsInformedAt: undefined }))).toContain(
			'parentsInformedAt'
		);
		expect(reasonOf(f.makeIncident({ parentsInformed: false, parentsInformedAt: undefined }))).toBe(
			'ok'
		);
	});

	it('refuses a child named twice', () => {
		expect(reasonOf(f.makeIncident({ studentIds: ['stu-1', 'stu-1'] }))).toContain('twice');
	});
});

describe('current records', () => {
	it('lists activity records newest week first, amendments replacing what they supersede', () => {
		const old = f.makeActivityRecord({ weekOf: '2026-11-23', at: '2026-11-27T08:00:00.000Z' });
		const week = f.makeActivityRecord({ weekOf: '2026-11-30', at: '2026-12-04T08:00:00.000Z' });
		const amended = f.makeActivityRecord({
			weekOf: '2026-11-30',
			at: '2026-12-04T09:00:00.000Z',
			supersedes: week.id,
			reason: '补充照片'
		});
		expect(currentActivityRecords([old, week, amended, old]).map((r) => r.id)).toEqual([
			amended.id,
			old.id
		]);
		// Order by week, not by when written: an old week written late stays below.
		const late = f.makeActivityRecord({ weekOf: '2026-11-16', at: '2026-12-05T08:00:00.000Z' });
		expect(currentActivityRecords([late, old]).map((r) => r.id)).toEqual([old.id, late.id]);
	});

	it('takes the last amendment of a care log, and none when there is none', () => {
		expect(currentCareLog([])).toBeUndefined();
		const first = f.makeCareLog({ at: '2026-11-30T09:00:00.000Z' });
		const second = f.makeCareLog({
			at: '2026-11-30T09:30:00.000Z',
			supersedes: first.id,
			reason: '补记作业情况'
		});
		expect(currentCareLog([second, first])?.id).toBe(second.id);
		// A device with a wrong clock: the superseded log still never counts.
		const skewed = { ...second, at: '2026-11-30T08:00:00.000Z' };
		expect(currentCareLog([first, skewed])?.id).toBe(second.id);
	});

	it('lists incidents most recent first and gives the office those of the last week', () => {
		const a = f.makeIncident({ date: '2026-11-30', occurredAt: '2026-11-30T08:00:00.000Z' });
		const b = f.makeIncident({ date: '2026-11-30', occurredAt: '2026-11-30T09:00:00.000Z' });
		const old = f.makeIncident({ date: '2026-11-20', occurredAt: '2026-11-20T09:00:00.000Z' });
		const future = f.makeIncident({ date: '2026-12-02', occurredAt: '2026-12-02T09:00:00.000Z' });
		expect(currentIncidents([a, b, old]).map((i) => i.id)).toEqual([b.id, a.id, old.id]);
		expect(incidentsForOffice([a, b, old, future], '2026-11-30').map((i) => i.id)).toEqual([
			b.id,
			a.id
		]);
		expect(incidentsForOffice([old], '2026-11-26').map((i) => i.id)).toEqual([old.id]);
		expect(incidentsForOffice([old], '2026-11-27')).toEqual([]);
	});
});
