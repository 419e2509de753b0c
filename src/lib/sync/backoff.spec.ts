import { describe, expect, it } from 'vitest';
import { backoffDelay, classifyError } from './backoff';

describe('backoffDelay', () => {
	it('grows exponentially between half and all of the ceiling', () => {
		expect(backoffDelay(0, () => 0)).toBe(500);
		expect(backoffDelay(0, () => 1)).toBe(1000);
		expect(backoffDelay(3, () => 0)).toBe(4000);
		expect(backoffDelay(3, () => 1)).toBe(8000);
	});
	it('is capped at a minute', () => {
		expect(backoffDelay(30, () => 1)).toBe(60_000);
	});
});

describe('classifyError', () => {
	it('asks to sign in again on 401 and 403', () => {
		expect(classifyError({ status: 401 })).toBe('auth');
		expect(classifyError({ status: 403 })).toBe('auth');
	});
	it('shrinks batches on 413 and retries anything else', () => {
		expect(classifyError({ status: 413 })).toBe('too-large');
		expect(classifyError(new TypeError('Failed to fetch'))).toBe('retry');
		expect(classifyError(undefined)).toBe('retry');
	});
});
