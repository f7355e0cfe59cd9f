import { readFileSync } from 'node:fs';
import { isMap, isNode, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import type { core } from 'zod';
import { NetmonError } from '../errors';
import { configSchema } from './schema';
import type { NetmonConfig } from './schema';

/** One problem in a configuration file: where it is and what was expected. */
export interface ConfigProblem {
  /** Dotted key path, e.g. "flows.max_series" ("" for the document itself). */
  path: string;
  /** 1-based line in the file, when known. */
  line?: number;
  message: string;
}

export class ConfigError extends NetmonError {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];

  constructor(file: string, problems: readonly ConfigProblem[]) {
    super('NETMON_ERR_CONFIG_INVALID', formatProblems(file, problems));
    this.file = file;
    this.problems = problems;
  }
}

function formatProblems(file: string, problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => {
    const where = p.line === undefined ? file : `${file}:${p.line}`;
    return p.path === '' ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
  });
  return lines.length === 1 ? `invalid configuration: ${lines[0]}` : `invalid configuration (${lines.length} problems):\n  ${lines.join('\n  ')}`;
}

/** The configuration with every default applied and nothing set: what netmon runs with when no file is given. */
export function defaultConfig(): NetmonConfig {
  return deepFreeze(configSchema.parse({}));
}

/** Reads, parses and validates a YAML configuration file. Throws ConfigError naming every problem. */
export function loadConfigFile(file: string): NetmonConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new NetmonError('NETMON_ERR_CONFIG_UNREADABLE', `cannot read configuration file ${file}: ${reason}`);
  }
  return parseConfigText(text, file);
}

/** Parses and validates YAML configuration text; `file` is only used in messages. */
export function parseConfigText(text: string, file: string): NetmonConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: '',
        line: e.linePos?.[0]?.line,
        message: `YAML syntax error${e.linePos ? ` at column ${e.linePos[0].col}` : ''}: ${e.message.split(/ at line \d+|\n/)[0]}`,
      })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', line: 1, message: 'expected a mapping of keys (see config.yaml for every key)' }]);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.flatMap((issue) => toProblems(issue, doc, lineCounter));
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new ConfigError(file, problems);
  }
  return deepFreeze(result.data);
}

function toProblems(issue: core.$ZodIssue, doc: Document, lc: LineCounter): ConfigProblem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...path, key].join('.'),
      line: keyLine(doc, lc, path, key),
      message: 'unknown key (see config.yaml for the keys netmon accepts)',
    }));
  }
  if (issue.code === 'invalid_key') {
    const key = String(issue.path[issue.path.length - 1]);
    const reason = issue.issues[0]?.message ?? 'invalid key';
    return [{ path: path.join('.'), line: keyLine(doc, lc, path.slice(0, -1), key), message: `invalid name ${JSON.stringify(key)}: ${reason}` }];
  }
  return [{ path: path.join('.'), line: valueLine(doc, lc, path), message: describeIssue(issue, doc, path) }];
}

function describeIssue(issue: core.$ZodIssue, doc: Document, path: string[]): string {
  const got = doc.getIn(path);
  const shown = got === undefined ? 'nothing' : JSON.stringify(got);
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}, got ${shown}`;
    case 'too_small':
      return `expected ${issue.origin === 'array' || issue.origin === 'string' ? 'length ' : ''}at least ${String(issue.minimum)}, got ${shown}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}, got ${shown}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${shown}`;
    case 'invalid_union':
      return `unexpected value ${shown}`;
    default:
      return `${issue.message}${issue.code === 'custom' ? '' : `, got ${shown}`}`;
  }
}

function valueLine(doc: Document, lc: LineCounter, path: string[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

function keyLine(doc: Document, lc: LineCounter, parent: string[], key: string): number | undefined {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
  if (isMap(map)) {
    for (const pair of map.items) {
      if (isNode(pair.key) && String(pair.key.toJSON()) === key && pair.key.range) return lc.linePos(pair.key.range[0]).line;
    }
  }
  return valueLine(doc, lc, parent);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
