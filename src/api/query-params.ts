/**
 * Query parameters of the API, checked with messages that say what was expected (HTTP 400).
 */
import { FilterError } from '../filter/compile-filter';
import { FlowFilterError } from '../flow/flow-filter';

export class BadRequest extends Error {}

type Query = Readonly<Record<string, unknown>>;

export function stringParam(q: Query, name: string, dflt: string): string {
  const v = q[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'string') throw new BadRequest(`${name}: expected one value`);
  return v;
}

export function intParam(q: Query, name: string, dflt: number, min: number, max: number): number {
  const s = stringParam(q, name, '');
  if (s === '') return dflt;
  if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) throw new BadRequest(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(s)}`);
  return Number(s);
}

export function oneOfParam<T extends string>(q: Query, name: string, values: readonly T[]): T {
  const s = stringParam(q, name, values[0]!);
  if (!values.includes(s as T)) throw new BadRequest(`${name}: expected one of ${values.join(', ')}, got ${JSON.stringify(s)}`);
  return s as T;
}

/** Compiles a filter parameter with `compile`; a bad expression is a BadRequest naming the column and what was expected. */
export function compileParam<T>(expr: string, compile: (expr: string) => T): T {
  try {
    return compile(expr);
  } catch (err) {
    if (err instanceof FilterError) {
      throw new BadRequest(`filter: column ${err.column}: expected ${err.expected}, got ${err.got === '' ? 'end of expression' : JSON.stringify(err.got)}`);
    }
    if (err instanceof FlowFilterError) throw new BadRequest(`filter: ${err.message}`);
    throw err;
  }
}
