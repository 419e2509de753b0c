// Finding a child on the roll by what a teacher types: part of the name (林子), the last
// digits of the student number (07), or pinyin — the initials (lzh) or the whole (linzihan).
// Pinyin comes from `pinyin-pro`, loaded only when the search is first used.

/** Syllables of a name in toneless pinyin, surname readings respected (曾 → zeng). */
export type Romanise = (name: string) => string[];

export interface SearchKey {
	studentId: string;
	/** Lower-case strings the query may be found in. */
	haystack: string[];
	/** Pinyin strings the query may start. */
	prefixes: string[];
}

export function searchKey(
	child: { studentId: string; name: string; studentNo?: string },
	romanise?: Romanise
): SearchKey {
	const haystack = [child.name.toLowerCase()];
	if (child.studentNo) haystack.push(child.studentNo);
	const prefixes: string[] = [];
	const syllables = romanise?.(child.name).filter((s) => /^[a-zü]+$/.test(s)) ?? [];
	if (syllables.length) {
		const initials = syllables.map((s) => s[0]).join('');
		const full = syllables.join('');
		// From the surname, or from the given name: "lzh", "zh", "linzihan", "zihan".
		for (let i = 0; i < syllables.length; i++) {
			prefixes.push(initials.slice(i), syllables.slice(i).join(''));
		}
		haystack.push(full);
	}
	return { studentId: child.studentId, haystack, prefixes };
}

/** Whether a child matches the query; an empty query matches everyone. */
export function matchesQuery(key: SearchKey, query: string): boolean {
	const q = query.trim().toLowerCase().replace(/\s+/g, '').replace(/v/g, 'ü');
	if (!q) return true;
	if (key.haystack.some((h) => h.includes(q))) return true;
	return key.prefixes.some((p) => p.startsWith(q));
}

/** The pinyin romaniser, loaded on first use (the dictionary is large). */
export async function loadRomanise(): Promise<Romanise> {
	const { pinyin } = await import('pinyin-pro');
	return (name) =>
		pinyin(name, { toneType: 'none', type: 'array', surname: 'head', v: false }).map((s) =>
			s.toLowerCase()
		);
}
