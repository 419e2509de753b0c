import { it } from 'vitest';
import { TEACHER_DB, signIn, startServer } from './test-helpers';
it('close timing', async () => {
	const r = await startServer();
	const cookie = await signIn(r.url, 'teacher', 'kehou-teacher');
	const controller = new AbortController();
	const poll = fetch(`${r.url}/${TEACHER_DB}/_changes?feed=longpoll&since=now&heartbeat=500`, {
		headers: { Cookie: cookie },
		signal: controller.signal
	}).catch(() => null);
	await new Promise((res) => setTimeout(res, 300));
	controller.abort();
	await poll;
	await new Promise((res) => setTimeout(res, 100));
	let t = Date.now();
	await r.stop();
	console.log('close after abort ms', Date.now() - t);
	const r2 = await startServer();
	await signIn(r2.url, 'teacher', 'kehou-teacher');
	t = Date.now();
	await r2.stop();
	console.log('close plain ms', Date.now() - t);
});
