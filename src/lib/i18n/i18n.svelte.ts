// The active locale and message lookup. zh-CN is the default; the choice is kept in
// localStorage (device state that needs no database and must be readable before any).
import { en } from './en';
import { zhCN, type MessageKey, type Messages } from './zh-CN';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
const catalogs: Record<Locale, Messages> = { 'zh-CN': zhCN, en };
const STORAGE_KEY = 'kehou.locale';
const TIME_ZONE = 'Asia/Shanghai';

function initialLocale(): Locale {
	try {
		const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
		if (saved === 'en' || saved === 'zh-CN') return saved;
	} catch {
		// Storage may be unavailable (private mode); fall back to the default.
	}
	return 'zh-CN';
}

/** Replaces `{name}` placeholders; a missing parameter stays visible to be noticed. */
export function interpolate(text: string, params?: Record<string, string | number>): string {
	if (!params) return text;
	return text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

class I18n {
	locale = $state<Locale>(initialLocale());

	t = (key: MessageKey, params?: Record<string, string | number>): string =>
		interpolate(catalogs[this.locale][key], params);

	setLocale(next: Locale) {
		this.locale = next;
		try {
			globalThis.localStorage?.setItem(STORAGE_KEY, next);
		} catch {
			// Not remembered, but still switched for this page.
		}
		if (typeof document !== 'undefined') document.documentElement.lang = next;
	}

	toggle() {
		this.setLocale(this.locale === 'zh-CN' ? 'en' : 'zh-CN');
	}

	/** A calendar date, e.g. 2026年11月30日 星期一 / Monday, 30 November 2026. */
	formatDate(isoDate: string): string {
		const [y, m, d] = isoDate.split('-').map(Number);
		return new Intl.DateTimeFormat(this.locale, {
			dateStyle: 'full',
			timeZone: 'UTC'
		}).format(new Date(Date.UTC(y, m - 1, d)));
	}

	/** A time of day in the school's time zone, e.g. 15:42. */
	formatTime(instant: string | number | Date): string {
		return new Intl.DateTimeFormat(this.locale, {
			hour: '2-digit',
			minute: '2-digit',
			hourCycle: 'h23',
			timeZone: TIME_ZONE
		}).format(new Date(instant));
	}
}

export const i18n = new I18n();
export type { MessageKey };
