// The enrollment chain as a fold: each application's stage and its full history
// (家长申请 → 班级审核 → 学校复核 → 统筹安排, who and when), and the order in which the
// office places children (priority groups first).
import type { Application, ClassReview, Placement, SchoolReview } from './application.schema';
import { compareEvents } from './roll';

export type ApplicationStep =
	'apply' | 'class-review' | 'school-review' | 'placement' | 'withdrawal';

export type ApplicationStage =
	| 'applied'
	| 'class-approved'
	| 'school-approved'
	| 'placed'
	| 'returned'
	| 'rejected'
	| 'withdrawn';

export interface ApplicationHistoryEntry {
	step: ApplicationStep;
	eventId: string;
	by: string;
	at: string;
	decision?: ClassReview['decision'];
	note?: string;
	/** A step taken before the step it depends on; recorded, but it changes nothing. */
	outOfOrder?: true;
}

export interface ApplicationState {
	/** The id the reviews name: the first application of a correction chain. */
	applicationId: string;
	/** The application as it now reads (the last correction). */
	application: Application;
	stage: ApplicationStage;
	/** Which step rejected or returned it. */
	decidedAt?: 'class-review' | 'school-review';
	placement?: { groupIds: string[]; from: string };
	history: ApplicationHistoryEntry[];
}

type ChainEvent = Application | ClassReview | SchoolReview | Placement;

/** Where each step may be taken from. */
const ALLOWED_FROM: Record<'class-review' | 'school-review' | 'placement', ApplicationStage[]> = {
	'class-review': ['applied', 'returned', 'class-approved', 'rejected'],
	'school-review': ['class-approved', 'school-approved', 'rejected'],
	placement: ['school-approved', 'placed']
};

/**
 * One state per application (keyed by the chain's first id). Corrections of an
 * application keep its reviews; a retraction withdraws it; review steps are applied in
 * (time, id) order and a step out of order is kept in the history but does not move the
 * stage (a school review before any class review, a placement before approval).
 */
export function foldApplications(events: readonly ChainEvent[]): Map<string, ApplicationState> {
	const byId = new Map<string, ChainEvent>();
	for (const e of events) byId.set(e.id, e);
	const all = [...byId.values()].sort(compareEvents);
	const apps = all.filter((e): e is Application => e.type === 'application');

	// Follow corrections back to the first application of each chain.
	const appById = new Map(apps.map((a) => [a.id, a]));
	const rootOf = (id: string): string => {
		let cur = id;
		for (let guard = 0; guard < 1000; guard++) {
			const prev = appById.get(cur)?.supersedes;
			if (!prev || !appById.has(prev)) return cur;
			cur = prev;
		}
		return cur;
	};
	const superseded = new Set(apps.map((a) => a.supersedes).filter(Boolean));

	const out = new Map<string, ApplicationState>();
	const withdrawals = new Map<string, Application>();
	for (const a of apps) {
		const root = rootOf(a.id);
		const entry: ApplicationHistoryEntry = {
			step: a.retracted ? 'withdrawal' : 'apply',
			eventId: a.id,
			by: a.author,
			at: a.at,
			...(a.reason ? { note: a.reason } : {})
		};
		const state = out.get(root);
		if (!state) {
			out.set(root, { applicationId: root, application: a, stage: 'applied', history: [entry] });
		} else state.history.push(entry);
		// The application as it reads now: the chain member no correction replaces.
		if (!a.retracted && !superseded.has(a.id)) out.get(root)!.application = a;
		if (a.retracted) withdrawals.set(root, a);
	}

	const stepsSuperseded = new Set(
		all.filter((e) => e.type !== 'application').map((e) => e.supersedes)
	);
	for (const e of all) {
		if (e.type === 'application' || stepsSuperseded.has(e.id) || e.retracted) continue;
		const state = out.get(rootOf(e.applicationId));
		if (!state) continue;
		const entry: ApplicationHistoryEntry = {
			step: e.type,
			eventId: e.id,
			by: e.author,
			at: e.at,
			...(e.type !== 'placement' ? { decision: e.decision } : {}),
			...(e.note ? { note: e.note } : {})
		};
		const withdrawal = withdrawals.get(state.applicationId);
		const afterWithdrawal = !!withdrawal && compareEvents(withdrawal, e) < 0;
		if (afterWithdrawal || !ALLOWED_FROM[e.type].includes(state.stage)) {
			state.history.push({ ...entry, outOfOrder: true });
			continue;
		}
		state.history.push(entry);
		if (e.type === 'placement') {
			state.stage = 'placed';
			state.placement = { groupIds: [...e.groupIds], from: e.from };
			continue;
		}
		if (e.decision === 'approved') {
			state.stage = e.type === 'class-review' ? 'class-approved' : 'school-approved';
			delete state.decidedAt;
		} else {
			state.stage = e.decision;
			state.decidedAt = e.type;
		}
	}
	for (const root of withdrawals.keys()) out.get(root)!.stage = 'withdrawn';
	for (const state of out.values()) state.history.sort(compareHistory);
	return out;
}

const compareHistory = (a: ApplicationHistoryEntry, b: ApplicationHistoryEntry) =>
	compareEvents({ at: a.at, id: a.eventId }, { at: b.at, id: b.eventId });

/**
 * The order the office places applicants in: families claiming a priority category first
 * (优先保障), then by date applied, then id — so every device lists the same order.
 */
export function byPriority<T extends Pick<Application, 'priorityClaims' | 'appliedOn' | 'id'>>(
	apps: readonly T[]
): T[] {
	const rank = (a: T) => (a.priorityClaims.length > 0 ? 0 : 1);
	return [...apps].sort(
		(a, b) =>
			rank(a) - rank(b) ||
			(a.appliedOn < b.appliedOn ? -1 : a.appliedOn > b.appliedOn ? 1 : 0) ||
			(a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
	);
}
