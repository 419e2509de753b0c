// A small made-up picture for photo tests: an RGB PNG with a colour gradient, built with
// node:zlib (a camera's JPEG or a PNG both reach the app's compressor as a File).
import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
	let c = 0xffffffff;
	for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return out;
}

const u32 = (n: number) =>
	new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);

function chunk(type: string, data: Uint8Array): Uint8Array {
	const body = concat([new TextEncoder().encode(type), data]);
	return concat([u32(data.length), body, u32(crc32(body))]);
}

export function gradientPng(width: number, height: number): Uint8Array {
	const header = concat([u32(width), u32(height), new Uint8Array([8, 2, 0, 0, 0])]);
	const stride = width * 3 + 1;
	const rows = new Uint8Array(stride * height);
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			const at = y * stride + 1 + x * 3;
			rows[at] = (x * 255) / width;
			rows[at + 1] = (y * 255) / height;
			rows[at + 2] = ((x ^ y) & 0xff) / 2;
		}
	}
	return concat([
		new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
		chunk('IHDR', header),
		chunk('IDAT', new Uint8Array(deflateSync(rows))),
		chunk('IEND', new Uint8Array(0))
	]);
}

/** As Playwright's `setInputFiles` takes it. */
export const photoFile = (name = 'camera.png', width = 2400, height = 1800) => ({
	name,
	mimeType: 'image/png',
	buffer: Buffer.from(gradientPng(width, height).buffer)
});
