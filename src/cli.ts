import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { NetmonError, usageError } from './errors';
import type * as CheckConfigCommand from './commands/check-config-command';
import type * as ReplayCommand from './commands/replay-command';
import type * as RunCommand from './commands/run-command';
import type * as TailCommand from './commands/tail-command';
import { VERSION } from './version';

/** Argument parsing and dispatch only; each command wires the modules it needs. */

const HELP = `netmon ${VERSION}: network traffic monitor for Prometheus

Usage:
  netmon run [--config FILE] [--interface NAME]... [--listen HOST:PORT] [--capture-filter BPF]
             [--web.config.file FILE]
      Capture live on one or more interfaces (default: the default route's interface, else the first
      non-loopback interface that is up) and serve /metrics. Needs CAP_NET_RAW (promiscuous mode
      included), or root.
  netmon replay FILE... [--config FILE] [--format prometheus|flows-json] [--speed max|original]
                [--serve] [--listen HOST:PORT] [--web.config.file FILE]
      Process pcap/pcapng files. Without --serve print the final exposition (prometheus, default)
      or every flow record as NDJSON (flows-json) to stdout. With --serve keep serving /metrics
      after the replay until SIGTERM.
  netmon check-config FILE
      Validate a configuration file: exit 0, or exit 2 naming every problem.
  netmon tail [--packets] [--filter EXPR] [--url URL] [--user U --password-file F] [--cacert F]
              [--rate N] [--json]
      Watch a running netmon: on a terminal a live table of the top flows by rate (or, with
      --packets, the newest packets); piped, one line per ended flow record (or packet).
      Default URL http://127.0.0.1:10847. Reconnects by itself; Ctrl-C exits.

Options:
  --config FILE          YAML configuration (every key is documented in config.yaml); default: built-in defaults
  --interface NAME       interface to capture on, repeatable (overrides config "interfaces")
  --listen HOST:PORT     HTTP address for /metrics, /healthz, /readyz (default 0.0.0.0:10847)
  --capture-filter BPF   kernel capture filter, tcpdump syntax (overrides config "capture.filter")
  --log-level LEVEL      trace|debug|info|warn|error|fatal|silent (overrides config "log.level")
  --web.config.file FILE TLS and basic auth for every endpoint, exporter-toolkit format (overrides config "web_config_file")
  --format FORMAT        replay output: prometheus (default) or flows-json
  --speed SPEED          replay pacing: max (default) or original (packet timestamps)
  --serve                replay: keep serving /metrics after the files are done
  --packets, --filter EXPR, --url URL, --user U, --password-file F, --cacert F, --rate N, --json
                         tail: what to watch (tcpdump filter), where, with which credentials (basic
                         auth; the password is read from F), the CA of an https URL, packets per
                         second asked for with --packets, and NDJSON output when piped
  -h, --help             show this help
  -V, --version          show the version

Exit codes: 0 success, 1 runtime failure (e.g. a damaged capture file), 2 bad usage, configuration,
filter, interface or listen address.
`;

const COMMON = {
  config: { type: 'string' },
  listen: { type: 'string' },
  'log-level': { type: 'string' },
  'web.config.file': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const COMMANDS = {
  run: { ...COMMON, interface: { type: 'string', multiple: true }, 'capture-filter': { type: 'string' } },
  replay: { ...COMMON, format: { type: 'string' }, speed: { type: 'string' }, serve: { type: 'boolean' } },
  'check-config': {},
  tail: {
    url: { type: 'string' },
    packets: { type: 'boolean' },
    filter: { type: 'string' },
    user: { type: 'string' },
    'password-file': { type: 'string' },
    cacert: { type: 'string' },
    rate: { type: 'string' },
    json: { type: 'boolean' },
  },
} as const satisfies Record<string, ParseArgsConfig['options']>;

function parse<T extends NonNullable<ParseArgsConfig['options']>>(command: string, options: T, args: string[]) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    // node's messages name the option ("Unknown option '--foo'"); drop its advice about "--" which does not apply here.
    const message = (err as Error).message.split('. To specify a positional')[0]!;
    throw usageError(`${command}: ${message} (see netmon --help)`);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(HELP);
    return first === undefined ? 2 : 0;
  }
  if (first === '-V' || first === '--version') {
    process.stdout.write(`netmon ${VERSION}\n`);
    return 0;
  }
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  switch (first) {
    case 'run': {
      const { values, positionals } = parse('run', COMMANDS.run, rest);
      if (positionals.length > 0) throw usageError(`run: unexpected argument "${positionals[0]}" (interfaces are given with --interface NAME)`);
      // Each command loads only what it needs (cap, express, prom-client...): start-up time matters for replays.
      const { runCommand } = require('./commands/run-command') as typeof RunCommand;
      return runCommand({
        configFile: values.config,
        interfaces: values.interface ?? [],
        listen: values.listen,
        captureFilter: values['capture-filter'],
        logLevel: values['log-level'],
        webConfigFile: values['web.config.file'],
      });
    }
    case 'replay': {
      const { values, positionals } = parse('replay', COMMANDS.replay, rest);
      if (positionals.length === 0) throw usageError('replay: expected at least one capture FILE (see netmon --help)');
      const format = values.format ?? 'prometheus';
      if (format !== 'prometheus' && format !== 'flows-json') throw usageError(`replay: --format: expected "prometheus" or "flows-json", got "${format}"`);
      const speed = values.speed ?? 'max';
      if (speed !== 'max' && speed !== 'original') throw usageError(`replay: --speed: expected "max" or "original", got "${speed}"`);
      const { replayCommand } = require('./commands/replay-command') as typeof ReplayCommand;
      return replayCommand({
        files: positionals,
        configFile: values.config,
        format,
        speed,
        serve: values.serve ?? false,
        listen: values.listen,
        logLevel: values['log-level'],
        webConfigFile: values['web.config.file'],
      });
    }
    case 'check-config': {
      const { positionals } = parse('check-config', COMMANDS['check-config'], rest);
      if (positionals.length !== 1) throw usageError('check-config: expected exactly one FILE');
      const { checkConfigCommand } = require('./commands/check-config-command') as typeof CheckConfigCommand;
      return checkConfigCommand(positionals[0]!);
    }
    case 'tail': {
      const { values, positionals } = parse('tail', COMMANDS.tail, rest);
      if (positionals.length > 0) throw usageError(`tail: unexpected argument "${positionals[0]}" (the server is given with --url URL)`);
      const { tailCommand } = require('./commands/tail-command') as typeof TailCommand;
      return tailCommand({
        url: values.url,
        packets: values.packets ?? false,
        filter: values.filter,
        user: values.user,
        passwordFile: values['password-file'],
        cacert: values.cacert,
        rate: values.rate,
        json: values.json ?? false,
      });
    }
    default:
      throw usageError(`unknown command "${first}": expected run, replay, check-config or tail (see netmon --help)`);
  }
}

/** Entry point for bin/netmon.js: one clear message and an exit code, never a stack trace for bad input. */
export function runCli(): void {
  // A reader that stops early (`netmon replay f | head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof NetmonError) {
        process.stderr.write(`netmon: ${err.message}\n`);
        process.exitCode = err.exitCode;
      } else {
        process.stderr.write(`netmon: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}

if (require.main === module) runCli();
