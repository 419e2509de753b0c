// A Mango selector evaluator for `_changes?filter=_selector`, following CouchDB 3's
// `mango_selector.erl`: the selector is parsed once into a tree (malformed selectors are a
// 400), then matched against documents as data. Invariant: nothing in a selector is ever
// executed — no `eval`, no functions; `$regex` patterns are length-bounded and patterns
// prone to catastrophic backtracking (nested quantifiers, back-references) are refused.
import { CouchError } from './http-util';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type Selector =
	| { kind: 'and' | 'or' | 'nor'; args: Selector[] }
	| { kind: 'not'; arg: Selector }
	| { kind: 'field'; path: string[]; op: string; arg: Json; sub?: Selector; re?: RegExp };

const CONDITION = new Set([
	'$eq',
	'$ne',
	'$gt',
	'$gte',
	'$lt',
	'$lte',
	'$in',
	'$nin',
	'$exists',
	'$type',
	'$all',
	'$elemMatch',
	'$allMatch',
	'$keyMapMatch',
	'$regex',
	'$size',
	'$mod'
]);
const TYPES = new Set(['null', 'boolean', 'number', 'string', 'array', 'object']);
const MAX_REGEX = 512;
const MAX_DEPTH = 32;

const invalidOperator = (op: string) =>
	new CouchError(400, 'invalid_operator', `Invalid operator: ${op}`);
const badArg = (op: string, arg: unknown) =>
	new CouchError(400, 'bad_arg', `Bad argument for operator ${op}: ${JSON.stringify(arg)}`);

const isObject = (v: unknown): v is Record<string, Json> =>
	typeof v === 'object' && v !== null && !Array.isArray(v);

/** `a.b\.c` → `['a', 'b.c']`, as CouchDB splits field names. */
export function splitField(name: string): string[] {
	const parts: string[] = [];
	let current = '';
	for (let i = 0; i < name.length; i++) {
		const c = name[i];
		if (c === '\\' && name[i + 1] === '.') {
			current += '.';
			i++;
		} else if (c === '.') {
			parts.push(current);
			current = '';
		} else current += c;
	}
	parts.push(current);
	return parts;
}

/** Refuses regular expressions that can backtrack catastrophically on a long document string. */
function compileRegex(pattern: unknown): RegExp {
	if (typeof pattern !== 'string' || pattern.length > MAX_REGEX) throw badArg('$regex', pattern);
	let source = pattern;
	let flags = '';
	// PCRE's leading inline flags, which JavaScript spells as flags.
	const inline = /^\(\?([imsx]+)\)/.exec(source);
	if (inline) {
		if (inline[1].includes('x')) throw badArg('$regex', pattern);
		flags = inline[1];
		source = source.slice(inline[0].length);
	}
	const nestedQuantifier = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{?]/;
	if (nestedQuantifier.test(source) || /\\[1-9]|\\k</.test(source)) {
		throw badArg('$regex', pattern);
	}
	try {
		return new RegExp(source, flags);
	} catch {
		throw badArg('$regex', pattern);
	}
}

/** Parses a selector; throws CouchDB's 400 errors for malformed ones. */
export function parseSelector(input: unknown): Selector {
	if (!isObject(input)) throw new CouchError(400, 'bad_request', 'Selector must be a JSON object');
	return normalize(input, [], 0);
}

/** `elem`: inside `$elemMatch` and kin, where a condition may apply to the element itself. */
function normalize(
	selector: Record<string, Json>,
	path: string[],
	depth: number,
	elem = false
): Selector {
	if (depth > MAX_DEPTH) throw new CouchError(400, 'bad_request', 'Selector is nested too deeply');
	const parts: Selector[] = [];
	for (const [key, value] of Object.entries(selector)) {
		parts.push(normalizeEntry(key, value, path, depth + 1, elem));
	}
	return parts.length === 1 ? parts[0] : { kind: 'and', args: parts };
}

function normalizeEntry(
	key: string,
	value: Json,
	path: string[],
	depth: number,
	elem: boolean
): Selector {
	if (key === '$and' || key === '$or' || key === '$nor') {
		if (!Array.isArray(value)) throw badArg(key, value);
		const args = value.map((v) => {
			if (!isObject(v)) throw badArg(key, value);
			return normalize(v, path, depth, elem);
		});
		return { kind: key.slice(1) as 'and' | 'or' | 'nor', args };
	}
	if (key === '$not') {
		if (!isObject(value)) throw badArg(key, value);
		return { kind: 'not', arg: normalize(value, path, depth, elem) };
	}
	if (key.startsWith('$')) {
		if (!CONDITION.has(key)) throw invalidOperator(key);
		if (path.length === 0 && !elem) throw invalidOperator(key);
		return condition(key, value, path, depth);
	}
	const field = [...path, ...splitField(key)];
	// `{"a": {"b": 1}}` names the field `a.b`; `{"a": {"$gt": 1}}` is a condition on `a`.
	if (isObject(value) && Object.keys(value).length > 0) return normalize(value, field, depth);
	return { kind: 'field', path: field, op: '$eq', arg: value };
}

function condition(op: string, arg: Json, path: string[], depth: number): Selector {
	const node: Selector & { kind: 'field' } = { kind: 'field', path, op, arg };
	switch (op) {
		case '$in':
		case '$nin':
		case '$all':
			if (!Array.isArray(arg)) throw badArg(op, arg);
			break;
		case '$exists':
			if (typeof arg !== 'boolean') throw badArg(op, arg);
			break;
		case '$type':
			if (typeof arg !== 'string' || !TYPES.has(arg)) throw badArg(op, arg);
			break;
		case '$size':
			if (!Number.isInteger(arg) || (arg as number) < 0) throw badArg(op, arg);
			break;
		case '$mod':
			if (
				!Array.isArray(arg) ||
				arg.length !== 2 ||
				!arg.every((n) => Number.isInteger(n)) ||
				arg[0] === 0
			) {
				throw badArg(op, arg);
			}
			break;
		case '$regex':
			node.re = compileRegex(arg);
			break;
		case '$elemMatch':
		case '$allMatch':
		case '$keyMapMatch':
			if (!isObject(arg)) throw badArg(op, arg);
			node.sub = normalize(arg, [], depth, true);
			break;
	}
	return node;
}

// --- CouchDB collation: null < false < true < numbers < strings < arrays < objects ---

const collator = new Intl.Collator('en');

function rank(v: Json): number {
	if (v === null) return 0;
	if (v === false) return 1;
	if (v === true) return 2;
	if (typeof v === 'number') return 3;
	if (typeof v === 'string') return 4;
	if (Array.isArray(v)) return 5;
	return 6;
}

export function collate(a: Json, b: Json): number {
	const ra = rank(a);
	const rb = rank(b);
	if (ra !== rb) return ra < rb ? -1 : 1;
	if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
	if (typeof a === 'string' && typeof b === 'string') {
		if (a === b) return 0;
		const c = collator.compare(a, b);
		return c !== 0 ? Math.sign(c) : a < b ? -1 : 1;
	}
	if (Array.isArray(a) && Array.isArray(b)) {
		for (let i = 0; i < Math.min(a.length, b.length); i++) {
			const c = collate(a[i], b[i]);
			if (c !== 0) return c;
		}
		return Math.sign(a.length - b.length);
	}
	if (isObject(a) && isObject(b)) {
		const ka = Object.keys(a);
		const kb = Object.keys(b);
		for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
			const c = collate(ka[i], kb[i]) || collate(a[ka[i]], b[kb[i]]);
			if (c !== 0) return c;
		}
		return Math.sign(ka.length - kb.length);
	}
	return 0;
}

const MISSING = Symbol('missing');

function getField(doc: Json, path: string[]): Json | typeof MISSING {
	let v: Json = doc;
	for (const name of path) {
		if (isObject(v) && Object.hasOwn(v, name)) v = v[name];
		else if (Array.isArray(v) && /^\d+$/.test(name) && Number(name) < v.length) v = v[Number(name)];
		else return MISSING;
	}
	return v;
}

function typeName(v: Json): string {
	if (v === null) return 'null';
	if (Array.isArray(v)) return 'array';
	return typeof v;
}

/** Does `doc` match `selector`? */
export function matches(selector: Selector, doc: unknown): boolean {
	const d = doc as Json;
	switch (selector.kind) {
		case 'and':
			return selector.args.every((s) => matches(s, d));
		case 'or':
			return selector.args.some((s) => matches(s, d));
		case 'nor':
			return !selector.args.some((s) => matches(s, d));
		case 'not':
			return !matches(selector.arg, d);
		case 'field': {
			const value = getField(d, selector.path);
			// As CouchDB: a missing field matches only `$exists: false`.
			if (value === MISSING) return selector.op === '$exists' && selector.arg === false;
			return test(selector, value);
		}
	}
}

function test(node: Selector & { kind: 'field' }, value: Json): boolean {
	const { op, arg } = node;
	switch (op) {
		case '$eq':
			return collate(value, arg) === 0;
		case '$ne':
			return collate(value, arg) !== 0;
		case '$gt':
			return collate(value, arg) > 0;
		case '$gte':
			return collate(value, arg) >= 0;
		case '$lt':
			return collate(value, arg) < 0;
		case '$lte':
			return collate(value, arg) <= 0;
		case '$exists':
			return arg === true;
		case '$type':
			return typeName(value) === arg;
		case '$in': {
			const args = arg as Json[];
			if (Array.isArray(value)) return args.some((a) => value.some((v) => collate(v, a) === 0));
			return args.some((a) => collate(value, a) === 0);
		}
		case '$nin': {
			const args = arg as Json[];
			if (Array.isArray(value)) return args.every((a) => value.every((v) => collate(v, a) !== 0));
			return args.every((a) => collate(value, a) !== 0);
		}
		case '$all': {
			const args = arg as Json[];
			if (!Array.isArray(value) || args.length === 0) return false;
			// `{"$all": [[1, 2]]}` also matches the array `[1, 2]` itself.
			if (args.length === 1 && Array.isArray(args[0]) && collate(args[0], value) === 0) return true;
			return args.every((a) => value.some((v) => collate(v, a) === 0));
		}
		case '$size':
			return Array.isArray(value) && value.length === arg;
		case '$mod': {
			const [divisor, remainder] = arg as [number, number];
			return Number.isInteger(value) && (value as number) % divisor === remainder;
		}
		case '$regex':
			return typeof value === 'string' && node.re!.test(value);
		case '$elemMatch':
			return Array.isArray(value) && value.some((v) => matches(node.sub!, v));
		case '$allMatch':
			return Array.isArray(value) && value.length > 0 && value.every((v) => matches(node.sub!, v));
		case '$keyMapMatch':
			return isObject(value) && Object.keys(value).some((k) => matches(node.sub!, k));
	}
	return false;
}
