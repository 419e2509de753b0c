// Renders the app icons (static/icons/*.png) from inline SVG with Chromium, so that the
// PNGs can be regenerated after a design change: `node --import tsx tests/tools/make-icons.ts`.
import { chromium } from '@playwright/test';
import { writeFile } from 'node:fs/promises';
import { launchOptions } from '../e2e/support/browser';

const glyph = (size: number, scale: number) => {
	const s = size * scale;
	const o = (size - s) / 2;
	return `
	<g transform="translate(${o} ${o}) scale(${s / 512})">
		<circle cx="420" cy="92" r="34" fill="#fbbf24"/>
		<text x="256" y="345" text-anchor="middle" font-family="Noto Sans CJK SC, sans-serif"
			font-weight="900" font-size="220" fill="#ffffff">课后</text>
		<rect x="96" y="400" width="320" height="22" rx="11" fill="#99f6e4"/>
	</g>`;
};

const svg = (size: number, maskable: boolean) => `
<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">
	<rect width="${size}" height="${size}" rx="${maskable ? 0 : size * 0.2}" fill="#0f766e"/>
	${glyph(size, maskable ? 0.72 : 0.92)}
</svg>`;

const browser = await chromium.launch(launchOptions());
const page = await browser.newPage();
for (const [name, size, maskable] of [
	['icon-192.png', 192, false],
	['icon-512.png', 512, false],
	['icon-maskable-512.png', 512, true]
] as const) {
	await page.setViewportSize({ width: size, height: size });
	await page.setContent(
		`<html><body style="margin:0;background:transparent">${svg(size, maskable)}</body></html>`
	);
	await writeFile(
		`static/icons/${name}`,
		new Uint8Array(
			await page.screenshot({
				omitBackground: true,
				clip: { x: 0, y: 0, width: size, height: size }
			})
		)
	);
}
await browser.close();
