import { describe, expect, it } from 'vitest';
import { attempts, fitWithin, QUALITIES } from './compress';
import { blobToBase64, nextPhotoName, photoFields } from './photo-files';

describe('photo sizes', () => {
	it('brings the long side within the bound and never enlarges', () => {
		expect(fitWithin(4032, 3024, 1600)).toEqual({ width: 1600, height: 1200 });
		expect(fitWithin(3024, 4032, 1600)).toEqual({ width: 1200, height: 1600 });
		expect(fitWithin(800, 600, 1600)).toEqual({ width: 800, height: 600 });
		expect(fitWithin(10000, 1, 1600)).toEqual({ width: 1600, height: 1 });
	});

	it('tries every quality at each size, then a smaller size', () => {
		const a = attempts(4000, 3000, 1600, 2);
		expect(a).toHaveLength(QUALITIES.length * 2);
		expect(a[0]).toEqual({ width: 1600, height: 1200, quality: QUALITIES[0] });
		expect(a[QUALITIES.length]).toEqual({ width: 1200, height: 900, quality: QUALITIES[0] });
		expect(a.map((x) => x.quality).slice(0, QUALITIES.length)).toEqual([...QUALITIES]);
	});
});

describe('photo fields', () => {
	it('lists the names and attaches the JPEGs; nothing when there are none', () => {
		expect(photoFields([])).toEqual({});
		expect(photoFields([{ name: 'photo-1.jpg', data: 'AAAA' }])).toEqual({
			photos: ['photo-1.jpg'],
			_attachments: { 'photo-1.jpg': { content_type: 'image/jpeg', data: 'AAAA' } }
		});
	});

	it('names photos without reusing a name', () => {
		expect(nextPhotoName([])).toBe('photo-1.jpg');
		expect(nextPhotoName(['photo-1.jpg', 'photo-3.jpg'])).toBe('photo-2.jpg');
	});

	it('encodes bytes as base64, also past the argument limit', async () => {
		const bytes = new Uint8Array(200_000).map((_, i) => i % 251);
		expect(await blobToBase64(new Blob([bytes]))).toBe(Buffer.from(bytes).toString('base64'));
	});
});
