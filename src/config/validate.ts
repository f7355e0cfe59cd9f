/**
 * A small declarative validator for the configuration: each rule checks a value, reports problems by
 * key path, and returns the value with defaults applied. Unknown keys are problems at every level.
 * (Hand-written rather than a schema library: netmon starts in ~50 ms for a replay, and the schema
 * libraries tried cost more than that just to load.)
 */

export interface Problem {
  readonly path: readonly string[];
  readonly message: string;
  /** True when the key itself is at fault (unknown key, bad name): its line is the key's line. */
  readonly atKey?: boolean;
}

export type Rule<T> = (value: unknown, path: readonly string[], problems: Problem[]) => T;

/** The value when present, else its default. */
export interface Field<T> {
  readonly rule: Rule<T>;
  readonly dflt: () => T;
  /** Absent is a problem (no default). */
  readonly required?: boolean;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : v === null ? 'null' : JSON.stringify(v));

export function field<T>(rule: Rule<T>, dflt: T | (() => T)): Field<T> {
  return { rule, dflt: typeof dflt === 'function' ? (dflt as () => T) : () => dflt };
}

export const integer =
  (min: number, max: number): Rule<number> =>
  (v, path, problems) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      problems.push({ path, message: `expected an integer from ${min} to ${max}, got ${show(v)}` });
      return min;
    }
    if (v < min || v > max) problems.push({ path, message: `expected an integer from ${min} to ${max}, got ${v}` });
    return v;
  };

export const boolean: Rule<boolean> = (v, path, problems) => {
  if (typeof v !== 'boolean') problems.push({ path, message: `expected true or false, got ${show(v)}` });
  return v === true;
};

export const string =
  (opts: { nonEmpty?: boolean; check?: (s: string) => string | undefined } = {}): Rule<string> =>
  (v, path, problems) => {
    if (typeof v !== 'string') {
      problems.push({ path, message: `expected a string, got ${show(v)}` });
      return '';
    }
    if (opts.nonEmpty === true && v.trim() === '') problems.push({ path, message: 'expected a non-empty string' });
    const why = opts.check?.(v);
    if (why !== undefined) problems.push({ path, message: `${why}, got ${show(v)}` });
    return v;
  };

export const oneOf =
  <T extends string>(values: readonly T[]): Rule<T> =>
  (v, path, problems) => {
    if (typeof v !== 'string' || !values.includes(v as T)) {
      problems.push({ path, message: `expected one of ${values.map((x) => JSON.stringify(x)).join(', ')}, got ${show(v)}` });
      return values[0]!;
    }
    return v as T;
  };

export const arrayOf =
  <T>(item: Rule<T>, minItems = 0): Rule<T[]> =>
  (v, path, problems) => {
    if (!Array.isArray(v)) {
      problems.push({ path, message: `expected a list, got ${show(v)}` });
      return [];
    }
    if (v.length < minItems) problems.push({ path, message: `expected at least ${minItems} item${minItems === 1 ? '' : 's'}` });
    return v.map((x, i) => item(x, [...path, String(i)], problems));
  };

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

type Fields = Record<string, Field<unknown>>;
type Shape<F extends Fields> = { [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/** A mapping with exactly these keys (each optional, with its default). */
export function object<F extends Fields>(fields: F): Rule<Shape<F>> {
  return (v, path, problems) => {
    const out: Record<string, unknown> = {};
    const given = v === undefined || v === null ? {} : v;
    if (!isMapping(given)) {
      problems.push({ path, message: `expected a mapping of keys, got ${show(v)}` });
    } else {
      for (const key of Object.keys(given)) {
        if (!(key in fields)) problems.push({ path: [...path, key], message: 'unknown key (see config.yaml for the keys netmon accepts)', atKey: true });
      }
    }
    const src = isMapping(given) ? given : {};
    for (const [key, f] of Object.entries(fields)) {
      if (src[key] === undefined && f.required === true && isMapping(given)) problems.push({ path: [...path, key], message: 'required key is missing' });
      out[key] = src[key] === undefined ? f.dflt() : f.rule(src[key], [...path, key], problems);
    }
    return out as Shape<F>;
  };
}

/** A mapping of user-chosen names (checked by `keyCheck`) to values. */
export function recordOf<T>(keyCheck: (k: string) => string | undefined, value: Rule<T>): Rule<Record<string, T>> {
  return (v, path, problems) => {
    const out: Record<string, T> = {};
    if (v === null || v === undefined) return out;
    if (!isMapping(v)) {
      problems.push({ path, message: `expected a mapping of names, got ${show(v)}` });
      return out;
    }
    for (const [k, x] of Object.entries(v)) {
      const why = keyCheck(k);
      if (why !== undefined) problems.push({ path: [...path, k], message: `invalid name ${JSON.stringify(k)}: ${why}`, atKey: true });
      out[k] = value(x, [...path, k], problems);
    }
    return out;
  };
}

/** Either of two shapes, told apart by `pick` (so the problems reported are those of the intended one). */
export function either<A, B>(pick: (v: unknown) => boolean, a: Rule<A>, b: Rule<B>): Rule<A | B> {
  return (v, path, problems) => (pick(v) ? a(v, path, problems) : b(v, path, problems));
}

/** A key that must be given. */
export function required<T>(rule: Rule<T>, placeholder: T): Field<T> {
  return { rule, dflt: () => placeholder, required: true };
}

/** An optional value with no default (absent stays undefined). */
export function optional<T>(rule: Rule<T>): Field<T | undefined> {
  return { rule, dflt: () => undefined };
}

/** A nested mapping: when absent, every key of it takes its default. */
export function section<T>(rule: Rule<T>): Field<T> {
  return { rule, dflt: () => rule(undefined, [], []) };
}
