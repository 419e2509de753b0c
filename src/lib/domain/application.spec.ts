import { describe, expect, it } from 'vitest';
import * as f from '../../../tests/fixtures/factories';
import { byPriority, foldApplications } from './application';
import { feeAfterWaiver } from './admin.schema';

const T = (day: number) => new Date(Date.UTC(2026, 8, day, 2)).toISOString();

describe('foldApplications', () => {
	const app = f.makeApplication('stu-1', { at: T(2) });

	it('walks 家长申请 → 班级审核 → 学校复核 → 统筹安排, recording who and when', () => {
		const cr = f.makeClassReview(app.id, { at: T(3), author: 'head' });
		const sr = f.makeSchoolReview(app.id, { at: T(4), author: 'office' });
		const pl = f.makePlacement(app.id, { at: T(5), groupIds: ['svc-3-1', 'club-weiqi'] });
		const state = foldApplications([pl, sr, app, cr]).get(app.id)!;
		expect(state.stage).toBe('placed');
		expect(state.placement).toEqual({ groupIds: ['svc-3-1', 'club-weiqi'], from: '2026-09-07' });
		expect(state.history.map((h) => [h.step, h.by, h.at])).toEqual([
			['apply', 'office', T(2)],
			['class-review', 'head', T(3)],
			['school-review', 'office', T(4)],
			['placement', 'office', T(5)]
		]);
	});

	it('keeps a step taken out of order in the history without moving the stage', () => {
		const sr = f.makeSchoolReview(app.id, { at: T(3) });
		const pl = f.makePlacement(app.id, { at: T(4) });
		const state = foldApplications([app, sr, pl]).get(app.id)!;
		expect(state.stage).toBe('applied');
		expect(state.history.filter((h) => h.outOfOrder).map((h) => h.step)).toEqual([
			'school-review',
			'placement'
		]);
	});

	it('records a rejection at the class step and a later re-review after a return', () => {
		const returned = f.makeClassReview(app.id, {
			at: T(3),
			decision: 'returned',
			note: '缺少签字'
		});
		expect(foldApplications([app, returned]).get(app.id)).toMatchObject({
			stage: 'returned',
			decidedAt: 'class-review'
		});
		const again = f.makeClassReview(app.id, { at: T(4) });
		expect(foldApplications([app, returned, again]).get(app.id)?.stage).toBe('class-approved');
		const rejected = f.makeSchoolReview(app.id, {
			at: T(5),
			decision: 'rejected',
			note: '名额已满'
		});
		expect(foldApplications([app, returned, again, rejected]).get(app.id)).toMatchObject({
			stage: 'rejected',
			decidedAt: 'school-review'
		});
	});

	it('keeps reviews through a corrected application, and withdraws on retraction', () => {
		const cr = f.makeClassReview(app.id, { at: T(3) });
		const fixed = f.makeApplication('stu-1', {
			at: T(4),
			supersedes: app.id,
			reason: '改选延时托管',
			endChoice: 'extended',
			extendedReason: '父母下班晚'
		});
		const state = foldApplications([app, cr, fixed]).get(app.id)!;
		expect(state.application.endChoice).toBe('extended');
		expect(state.stage).toBe('class-approved');
		const withdrawn = f.makeApplication('stu-1', {
			at: T(6),
			supersedes: fixed.id,
			retracted: true,
			reason: '家长撤回申请'
		});
		const sr = f.makeSchoolReview(app.id, { at: T(7) });
		const after = foldApplications([app, cr, fixed, withdrawn, sr]).get(app.id)!;
		expect(after.stage).toBe('withdrawn');
		expect(after.history.map((h) => [h.step, h.outOfOrder ?? false])).toEqual([
			['apply', false],
			['class-review', false],
			['apply', false],
			['withdrawal', false],
			['school-review', true]
		]);
	});

	it('lets a corrected review replace the one it supersedes', () => {
		const wrong = f.makeClassReview(app.id, { at: T(3), decision: 'rejected', note: '误操作' });
		const right = f.makeClassReview(app.id, { at: T(4), supersedes: wrong.id, reason: '更正' });
		const state = foldApplications([app, wrong, right]).get(app.id)!;
		expect(state.stage).toBe('class-approved');
		expect(state.history.map((h) => h.eventId)).toEqual([app.id, right.id]);
	});
});

describe('byPriority', () => {
	it('puts priority families first, then earlier applications, then id', () => {
		const a = f.makeApplication('a', {
			appliedOn: '2026-09-01',
			id: '0190a000-0000-7000-8000-00000000000a'
		});
		const b = f.makeApplication('b', { appliedOn: '2026-09-03', priorityClaims: ['left-behind'] });
		const c = f.makeApplication('c', {
			appliedOn: '2026-09-01',
			id: '0190a000-0000-7000-8000-00000000000c'
		});
		expect(byPriority([c, a, b]).map((x) => x.studentId)).toEqual(['b', 'a', 'c']);
	});
});

describe('feeAfterWaiver', () => {
	it('waives in full, in part (rounded down in the family’s favour), or not at all', () => {
		expect(feeAfterWaiver(30000, { percent: 100 })).toBe(0);
		expect(feeAfterWaiver(30001, { percent: 50 })).toBe(15000);
		expect(feeAfterWaiver(30000)).toBe(30000);
	});
});
