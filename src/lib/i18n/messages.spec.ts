import { describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
import { interpolate } from './i18n.svelte';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('messages', () => {
	it('have the same keys in zh-CN and en', () => {
		expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
	});

	it('use the same placeholders in both languages', () => {
		for (const key of Object.keys(zhCN) as (keyof typeof zhCN)[]) {
			expect(placeholders(en[key]), key).toEqual(placeholders(zhCN[key]));
		}
	});

	it('have no empty message', () => {
		for (const catalog of [zhCN, en]) {
			for (const [key, text] of Object.entries(catalog)) expect(text.trim(), key).not.toBe('');
		}
	});

	it('interpolates parameters and leaves unknown ones visible', () => {
		expect(interpolate('{count} 条未发送', { count: 3 })).toBe('3 条未发送');
		expect(interpolate('{a} {b}', { a: 1 })).toBe('1 {b}');
	});
});
