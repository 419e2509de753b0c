// The group a page under `/<feature>/[groupId]` shows, and what the signed-in user may do
// there: the same rules the server enforces (`mayOpenGroup`, `canWrite`), in one place for
// the session, activity-record and incident pages. Create it in a component's script.
import { page } from '$app/state';
import { canWrite } from '$lib/domain';
import { groupLive } from '$lib/features/roll-call/roll.repository';
import { session } from './session.svelte';
import { mayOpenGroup } from './session.repository';

export class GroupPage {
	readonly id = $derived(page.params.groupId ?? '');
	/** The group as the read model has it (`loaded` once the first read is back). */
	readonly group = $derived(groupLive(this.id));
	readonly allowed = $derived(!!session.user && mayOpenGroup(session.user, this.id));
	/** Nothing to show: not one of this user's groups, or no such group. */
	readonly missing = $derived(!this.allowed || (this.group.loaded && !this.group.current));
	readonly name = $derived(this.group.current?.name ?? '');

	/** Whether this user may write documents of `docType` into the group's database. */
	mayWrite(docType: string): boolean {
		const user = session.user;
		return (
			!!user &&
			canWrite(user, { kind: 'group', schoolId: user.schoolId, groupId: this.id }, docType)
		);
	}
}
