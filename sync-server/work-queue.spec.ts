// The heavy-request queue (work-queue.ts) with the body timeout (http-util.ts readBody):
// an upload that stops arriving must not hold its slot for ever.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FIRST_STUDENT, TEACHER_DB, call, mark, signIn, startServer } from './test-helpers';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
	for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(opts: Parameters<typeof startServer>[0]) {
	const r = await startServer(opts);
	cleanups.push(() => r.stop());
	return r;
}

/** A raw connection that sends the head of a `_bulk_docs` and only part of its body. */
async function partialUpload(url: string, cookie: string, body: string, declared: number) {
	const socket: Socket = connect(Number(new URL(url).port), '127.0.0.1');
	cleanups.push(() => void socket.destroy());
	await once(socket, 'connect');
	let received = '';
	socket.setEncoding('utf8');
	socket.on('data', (d: string) => (received += d));
	const closed = once(socket, 'close');
	socket.write(
		`POST /${TEACHER_DB}/_bulk_docs HTTP/1.1\r\nHost: localhost\r\nCookie: ${cookie}\r\n` +
			`Content-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n${body}`
	);
	return { socket, closed, received: () => received };
}

describe('the heavy-request queue', () => {
	it('takes the slot back from an upload that stops mid-body: 408, connection closed', async () => {
		const { url, server } = await start({ heavyRequests: 1, bodyTimeoutMs: 400 });
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const stalled = await partialUpload(url, cookie, '{"docs":[', 1000);
		await vi.waitFor(() => expect(server.heavyLoad().running).toBe(1));

		// Another tablet's batch queues behind it, then goes through.
		const m = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		let otherDone = false;
		const other = call(url, `/${TEACHER_DB}/_bulk_docs`, { cookie, body: { docs: [m] } }).then(
			(r) => {
				otherDone = true;
				return r;
			}
		);
		await vi.waitFor(() => expect(server.heavyLoad().waiting).toBe(1));

		await stalled.closed;
		expect(otherDone).toBe(false);
		expect(stalled.received()).toMatch(/^HTTP\/1\.1 408 /);
		expect(stalled.received()).toMatch(/connection: close/i);
		expect(stalled.received()).toContain('"error":"request_timeout"');
		const res = await other;
		expect(res.status).toBe(201);
		expect(res.body).toEqual([{ ok: true, id: m._id, rev: expect.stringMatching(/^1-/) }]);
		expect(server.heavyLoad()).toEqual({ running: 0, waiting: 0 });
	});

	it('reads a slow body to the end while it keeps arriving', async () => {
		const { url, server } = await start({ heavyRequests: 1, bodyTimeoutMs: 400 });
		const cookie = await signIn(url, 'teacher', 'kehou-teacher');
		const m = mark({ groupId: 'svc-3-1', studentId: FIRST_STUDENT });
		const body = JSON.stringify({ docs: [m] });
		const pieces = [body.slice(0, 10), body.slice(10, 40), body.slice(40)];
		const upload = await partialUpload(url, cookie, '', Buffer.byteLength(body));
		// Each piece follows the last after 250 ms: 500 ms in all, more than the timeout.
		for (const piece of pieces) {
			await new Promise((r) => setTimeout(r, 250));
			upload.socket.write(piece);
		}
		await vi.waitFor(() => expect(upload.received()).toContain('\r\n\r\n['));
		expect(upload.received()).toMatch(/^HTTP\/1\.1 201 /);
		expect(upload.received()).toContain(`"id":"${m._id}"`);
		expect(server.heavyLoad().running).toBe(0);
	});
});
