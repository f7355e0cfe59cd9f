import { readFileSync } from 'node:fs';
import type * as Yaml from 'yaml';
import type { Document, LineCounter } from 'yaml';
import { NetmonError } from '../errors';
import { validateConfig } from './schema';
import type { NetmonConfig } from './schema';
import type { Problem } from './validate';

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
  return deepFreeze(validateConfig({}).config);
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
  return parseValidatedYaml(text, file, validateConfig);
}

/**
 * Parses YAML text and validates it with `validate`; throws ConfigError naming every problem with
 * its key path and line (the web configuration file is read the same way).
 */
export function parseValidatedYaml<T>(text: string, file: string, validate: (raw: unknown) => { config: T; problems: Problem[] }): T {
  // Loaded only when a file is given: netmon without a config file starts faster.
  const yaml = require('yaml') as typeof Yaml;
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
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
  const { config, problems } = validate(raw);
  if (problems.length > 0) {
    const located = problems.map((p) => locate(p, doc, lineCounter, yaml));
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    throw new ConfigError(file, located);
  }
  return deepFreeze(config);
}

function locate(p: Problem, doc: Document, lc: LineCounter, yaml: typeof Yaml): ConfigProblem {
  const path = [...p.path];
  const line = p.atKey === true ? keyLine(doc, lc, path.slice(0, -1), path[path.length - 1]!, yaml) : valueLine(doc, lc, path, yaml);
  return { path: path.join('.'), line, message: p.message };
}

function valueLine(doc: Document, lc: LineCounter, path: string[], yaml: typeof Yaml): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true);
    if (yaml.isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return undefined;
}

function keyLine(doc: Document, lc: LineCounter, parent: string[], key: string, yaml: typeof Yaml): number | undefined {
  const map = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
  if (yaml.isMap(map)) {
    for (const pair of map.items) {
      if (yaml.isNode(pair.key) && String(pair.key.toJSON()) === key && pair.key.range) return lc.linePos(pair.key.range[0]).line;
    }
  }
  return valueLine(doc, lc, parent, yaml);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
