import { ConfigError, loadConfigFile } from '../config/load';
import { compileNamedFilters } from '../engine/build-pipeline';
import { sinkProblems } from '../sinks/sink-config-check';

/** `netmon check-config FILE`: exit 0 when valid, otherwise exit 2 naming every problem by key path. */
export function checkConfigCommand(file: string): number {
  const config = loadConfigFile(file);
  const problems = [...compileNamedFilters(config).problems, ...sinkProblems(config)];
  if (problems.length > 0) throw new ConfigError(file, problems);
  process.stdout.write(`${file}: configuration is valid\n`);
  return 0;
}
