// On-device photo compression with the browser's own decoders and encoders
// (createImageBitmap + canvas): the long side is brought within PHOTO_MAX_SIDE, then JPEG
// quality steps down, and the size shrinks further, until the photo fits PHOTO_MAX_BYTES.
// No library: the one maintained candidate (browser-image-compression) loads its worker
// from a CDN, which the app's CSP and an offline tablet both refuse.
import { PHOTO_MAX_BYTES, PHOTO_MAX_SIDE, PHOTO_TYPE } from '$lib/domain';

export class PhotoError extends Error {
	constructor(readonly kind: 'unreadable' | 'too-large') {
		super(kind);
		this.name = 'PhotoError';
	}
}

/** The size of an image scaled so that its long side is at most `maxSide` (never enlarged). */
export function fitWithin(width: number, height: number, maxSide: number) {
	const scale = Math.min(1, maxSide / Math.max(width, height, 1));
	return {
		width: Math.max(1, Math.round(width * scale)),
		height: Math.max(1, Math.round(height * scale))
	};
}

/** JPEG qualities tried in turn; below the last the picture shrinks instead. */
export const QUALITIES = [0.82, 0.72, 0.62, 0.52] as const;
/** How much each further size step shrinks the long side. */
export const SHRINK = 0.75;

/**
 * The encodings to try, in order, for a picture of this size: each size with every
 * quality, then the next smaller size. Pure, so the search is unit-tested.
 */
export function attempts(width: number, height: number, maxSide = PHOTO_MAX_SIDE, steps = 4) {
	const out: Array<{ width: number; height: number; quality: number }> = [];
	let side = maxSide;
	for (let i = 0; i < steps; i++) {
		const size = fitWithin(width, height, side);
		for (const quality of QUALITIES) out.push({ ...size, quality });
		side = Math.round(Math.max(size.width, size.height) * SHRINK);
	}
	return out;
}

type Canvas2D = OffscreenCanvas | HTMLCanvasElement;

function canvasOf(width: number, height: number): Canvas2D {
	if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height);
	const c = document.createElement('canvas');
	c.width = width;
	c.height = height;
	return c;
}

function encode(canvas: Canvas2D, quality: number): Promise<Blob> {
	if ('convertToBlob' in canvas) return canvas.convertToBlob({ type: PHOTO_TYPE, quality });
	return new Promise((resolve, reject) =>
		canvas.toBlob(
			(b) => (b ? resolve(b) : reject(new PhotoError('unreadable'))),
			PHOTO_TYPE,
			quality
		)
	);
}

/** A camera picture (any format the browser decodes) as a JPEG within the bounds. */
export async function compressPhoto(file: Blob, maxBytes = PHOTO_MAX_BYTES): Promise<Blob> {
	let bitmap: ImageBitmap;
	try {
		bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
	} catch {
		throw new PhotoError('unreadable');
	}
	try {
		let drawn: { canvas: Canvas2D; width: number; height: number } | null = null;
		for (const a of attempts(bitmap.width, bitmap.height)) {
			if (!drawn || drawn.width !== a.width || drawn.height !== a.height) {
				const canvas = canvasOf(a.width, a.height);
				const ctx = canvas.getContext('2d') as
					OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
				if (!ctx) throw new PhotoError('unreadable');
				// JPEG has no transparency: a PNG's clear pixels become white, not black.
				ctx.fillStyle = '#fff';
				ctx.fillRect(0, 0, a.width, a.height);
				ctx.drawImage(bitmap, 0, 0, a.width, a.height);
				drawn = { canvas, width: a.width, height: a.height };
			}
			const blob = await encode(drawn.canvas, a.quality);
			if (blob.size <= maxBytes) return blob;
		}
		throw new PhotoError('too-large');
	} finally {
		bitmap.close();
	}
}
