import { describe, expect, it } from 'vitest';
import { loadRomanise, matchesQuery, searchKey } from './search';

describe('searching the roll', async () => {
	const romanise = await loadRomanise();
	const lin = searchKey({ studentId: 'a', name: '林子涵', studentNo: '2023030107' }, romanise);
	const zeng = searchKey({ studentId: 'b', name: '曾乐乐', studentNo: '2023030112' }, romanise);
	const lv = searchKey({ studentId: 'c', name: '吕一诺' }, romanise);

	it.each([
		['', true],
		['林子', true],
		['涵', true],
		['07', true],
		['0107', true],
		['lzh', true],
		['LZH', true],
		['zh', true],
		['linzihan', true],
		['lin zi', true],
		['zihan', true],
		['han', true],
		['zll', false],
		['王', false],
		['99', false]
	])('林子涵 and %j: %s', (q, expected) => {
		expect(matchesQuery(lin, q)).toBe(expected);
	});

	it('reads a surname as a surname (曾 is zeng, not ceng)', () => {
		expect(matchesQuery(zeng, 'zll')).toBe(true);
		expect(matchesQuery(zeng, 'cll')).toBe(false);
	});

	it('takes v for ü, as pinyin keyboards do', () => {
		expect(matchesQuery(lv, 'lvyinuo')).toBe(true);
		expect(matchesQuery(lv, 'lyn')).toBe(true);
	});

	it('still finds by name and number without pinyin', () => {
		const plain = searchKey({ studentId: 'a', name: '林子涵', studentNo: '2023030107' });
		expect(matchesQuery(plain, '子涵')).toBe(true);
		expect(matchesQuery(plain, 'lzh')).toBe(false);
	});
});
