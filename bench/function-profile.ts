/**
 * Where a replay's machine instructions go, per function, deterministically: valgrind's callgrind
 * counts every instruction of `node --predictable bin/netmon.js replay FILE` (all threads: JIT
 * compilation and GC too) by address, and `node --perf-basic-prof` writes the address range of every
 * function V8 compiles, so each JIT-compiled instruction is charged to its JavaScript function and tier
 * (`*` TurboFan, `+` Maglev, `^` Sparkplug, `~` interpreter); native code is charged by symbol. V8
 * reuses code space, so an address may have held several functions over the run: those instructions
 * are charged to all their names joined by " | ".
 *
 *   node dist/bench/function-profile.js FILE [--config A.yaml] [--against B.yaml] [--top N]
 *
 * prints the top N functions of the replay with A (instructions in millions), and with --against the
 * functions whose count differs most between A and B (B's minus A's). Each run takes minutes
 * (callgrind is ~50x slower than native). Not timed, not a test: this finds where a cost is.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

interface CodeRange { start: number; end: number; name: string }

/** The perf map V8 wrote ("start size name" per line, hex), sorted by start. */
function readPerfMap(path: string): CodeRange[] {
  const out: CodeRange[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const a = line.indexOf(' ');
    const b = line.indexOf(' ', a + 1);
    if (a < 0 || b < 0) continue;
    const start = parseInt(line.slice(0, a), 16);
    out.push({ start, end: start + parseInt(line.slice(a + 1, b), 16), name: line.slice(b + 1) });
  }
  return out.sort((x, y) => x.start - y.start);
}

/** Name(s) of the code that held `addr` (the last range starting at or below it, and those before it that still cover it). */
function resolver(ranges: CodeRange[]): (addr: number) => string {
  const cache = new Map<number, string>();
  return (addr) => {
    const hit = cache.get(addr);
    if (hit !== undefined) return hit;
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid]!.start <= addr) lo = mid + 1;
      else hi = mid - 1;
    }
    const names = new Set<string>();
    for (let i = hi; i >= 0 && i > hi - 200; i--) if (ranges[i]!.start <= addr && addr < ranges[i]!.end) names.add(ranges[i]!.name);
    const name = names.size === 0 ? '(JIT code not in the perf map)' : [...names].sort().join(' | ');
    cache.set(addr, name);
    return name;
  };
}

/**
 * Self instructions per function from a callgrind file written with --dump-instr=yes,
 * --compress-pos=no and --compress-strings=no (lines "address line cost"; the line after "calls="
 * is the inclusive cost of a call, not charged to the caller).
 */
function selfCosts(callgrindOut: string, nameOf: (addr: number) => string): Map<string, number> {
  const costs = new Map<string, number>();
  let object = '';
  let fn = '';
  let callLine = false;
  for (const line of readFileSync(callgrindOut, 'utf8').split('\n')) {
    if (line.startsWith('ob=')) object = line.slice(3);
    else if (line.startsWith('fn=')) fn = line.slice(3);
    else if (line.startsWith('calls=')) callLine = true;
    else if (line.startsWith('0x')) {
      if (callLine) {
        callLine = false;
        continue;
      }
      const fields = line.split(' ');
      const cost = Number(fields[fields.length - 1]);
      const name = object === '???' || object === '(unknown)' ? nameOf(parseInt(fields[0]!, 16)) : `[native] ${fn}`;
      costs.set(name, (costs.get(name) ?? 0) + cost);
    }
  }
  return costs;
}

/** Runs the replay under callgrind and returns self instructions per function. */
export function profileReplay(cli: string, file: string, config: string | undefined): Map<string, number> {
  const dir = mkdtempSync(join(tmpdir(), 'netmon-profile-'));
  // valgrind runs in `dir` (callgrind writes its own files there): paths are made absolute first.
  file = resolve(file);
  config = config === undefined ? undefined : resolve(config);
  try {
    const out = join(dir, 'callgrind.out');
    const args = ['--tool=callgrind', '--dump-instr=yes', '--compress-pos=no', '--compress-strings=no', `--callgrind-out-file=${out}`,
      process.execPath, '--predictable', '--perf-basic-prof', cli, 'replay', file, ...(config === undefined ? [] : ['--config', config])];
    const r = spawnSync('valgrind', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
    const pid = /^==(\d+)==/m.exec(r.stderr)?.[1];
    if (r.status !== 0 || pid === undefined) throw new Error(`valgrind exited ${r.status}: ${r.stderr.slice(-800)}`);
    const map = join(tmpdir(), `perf-${pid}.map`);
    try {
      return selfCosts(out, resolver(readPerfMap(map)));
    } finally {
      rmSync(map, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const millions = (n: number): string => (n / 1e6).toFixed(1).padStart(9);

function main(argv: string[]): void {
  const opt = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const file = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1]!.startsWith('--')));
  if (file === undefined || spawnSync('valgrind', ['--version']).status !== 0) {
    process.stderr.write('usage: node dist/bench/function-profile.js FILE [--config A.yaml] [--against B.yaml] [--top N] (needs valgrind)\n');
    process.exit(2);
  }
  const top = Number(opt('--top') ?? 30);
  const cli = join(__dirname, '..', '..', 'bin', 'netmon.js');
  const a = profileReplay(cli, file, opt('--config'));
  const total = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
  const against = opt('--against');
  if (against === undefined) {
    process.stdout.write(`${millions(total(a))} M instructions in all\n`);
    for (const [name, n] of [...a].sort((x, y) => y[1] - x[1]).slice(0, top)) process.stdout.write(`${millions(n)}  ${name}\n`);
    return;
  }
  const b = profileReplay(cli, file, against);
  process.stdout.write(`${'A'.padStart(9)} ${'B'.padStart(9)} ${'B - A'.padStart(9)}  (M instructions)\n`);
  process.stdout.write(`${millions(total(a))} ${millions(total(b))} ${millions(total(b) - total(a))}  in all\n`);
  const names = [...new Set([...a.keys(), ...b.keys()])];
  const rows = names.map((n) => ({ n, x: a.get(n) ?? 0, y: b.get(n) ?? 0 })).sort((p, q) => Math.abs(q.y - q.x) - Math.abs(p.y - p.x));
  for (const { n, x, y } of rows.slice(0, top)) process.stdout.write(`${millions(x)} ${millions(y)} ${millions(y - x)}  ${n}\n`);
}

if (require.main === module) main(process.argv.slice(2));
