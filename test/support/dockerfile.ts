/**
 * A small Dockerfile reader for structure tests (no Docker engine runs in the tests): instructions
 * with their line, grouped by stage, line continuations joined and comment lines dropped as
 * BuildKit does; the exec (JSON) form of CMD/ENTRYPOINT; LABEL pairs; the packages of an
 * `apt-get install`; and .dockerignore matching (moby/patternmatcher: a path is excluded if the
 * last pattern matching it or one of its parent folders is not a `!` exception).
 */

export interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY... */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

export interface Stage {
  /** The image of FROM, e.g. node:26-bookworm-slim. */
  readonly from: string;
  /** The name given with FROM ... AS name, if any. */
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim();
    if (first === '' || first.startsWith('#')) continue;
    const start = i + 1;
    let body = lines[i]!.replace(/\s+$/, '');
    let more = body.endsWith('\\');
    if (more) body = body.slice(0, -1);
    while (more && i + 1 < lines.length) {
      i++;
      const next = lines[i]!.trim();
      if (next.startsWith('#') || next === '') continue; // comment lines inside an instruction are dropped
      more = next.endsWith('\\');
      body += ` ${more ? next.slice(0, -1) : next}`;
    }
    const m = /^\s*(\S+)\s*(.*)$/s.exec(body);
    if (m === null) continue;
    out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ').trim(), line: start });
  }
  return out;
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let current: Stage | undefined;
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(' ').filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toUpperCase() === 'AS');
      current = { from: words[0]!, name: as >= 0 ? words[as + 1] : undefined, instructions: [] };
      stages.push(current);
      continue;
    }
    if (current === undefined) {
      if (ins.keyword === 'ARG') continue; // an ARG before the first FROM
      throw new Error(`line ${ins.line}: ${ins.keyword} before FROM`);
    }
    current.instructions.push(ins);
  }
  return stages;
}

/** The exec form's argv (a JSON array of strings), or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  const v = JSON.parse(args) as unknown;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new Error(`not a JSON array of strings: ${args}`);
  return v as string[];
}

/** LABEL key=value pairs (values optionally double-quoted, with \" escapes). */
export function labelPairs(args: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([^\s=]+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))/g;
  for (const m of args.matchAll(re)) out.set(m[1]!, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  return out;
}

/** Packages named by every `apt-get install` of a RUN command (options skipped). */
export function aptPackages(run: string): string[] {
  const out: string[] = [];
  for (const command of run.split(/&&|;|\|\|/)) {
    const words = command.trim().split(/\s+/);
    const at = words.findIndex((w, i) => (w === 'apt-get' || w === 'apt') && words[i + 1] === 'install');
    if (at < 0) continue;
    out.push(...words.slice(at + 2).filter((w) => !w.startsWith('-')));
  }
  return out;
}

function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A .dockerignore: `excluded(path)` for a path relative to the build context. */
export function dockerignore(text: string): { excluded(path: string): boolean } {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const p = (negated ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      return { negated, re: patternRegex(p) };
    });
  return {
    excluded(path: string): boolean {
      const parts = path.split('/');
      const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
      let out = false;
      for (const r of rules) if (prefixes.some((p) => r.re.test(p))) out = !r.negated;
      return out;
    },
  };
}
