/**
 * A named filter that does not compile. The message names the filter, the 1-based column of the
 * offending token and what was expected there, e.g.
 * `filter "web": column 14: expected a port number or service name after "portrange", got "foo"`.
 */
export class FilterError extends Error {
  readonly filterName: string;
  /** 1-based column of the offending token (expression length + 1 for "end of expression"). */
  readonly column: number;
  /** What the compiler expected at that column. */
  readonly expected: string;
  /** The offending token text, or "" at the end of the expression. */
  readonly got: string;

  constructor(filterName: string, column: number, expected: string, got: string) {
    const gotText = got === '' ? 'end of expression' : JSON.stringify(got);
    super(`filter ${JSON.stringify(filterName)}: column ${column}: expected ${expected}, got ${gotText}`);
    this.name = 'FilterError';
    this.filterName = filterName;
    this.column = column;
    this.expected = expected;
    this.got = got;
  }
}

/** Thrown inside the compiler, turned into a FilterError (which adds the filter name) at the API. */
export class FilterSyntaxError extends Error {
  constructor(
    readonly column: number,
    readonly expected: string,
    readonly got: string,
  ) {
    super(`column ${column}: expected ${expected}, got ${JSON.stringify(got)}`);
  }
}
