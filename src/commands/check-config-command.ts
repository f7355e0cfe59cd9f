import { dirname, resolve } from 'node:path';
import { ConfigError, loadConfigFile } from '../config/load';
import { compileNamedFilters } from '../engine/build-pipeline';
import { sinkProblems } from '../sinks/sink-config-check';
import { loadWebConfig } from '../http/web-config';
import { tlsServerOptions } from '../http/web-config-tls';
import { resolveOtlpSettings } from '../metrics/otlp-settings';
import { VERSION } from '../version';

/** `netmon check-config FILE`: exit 0 when valid, otherwise exit 2 naming every problem by key path. */
export function checkConfigCommand(file: string): number {
  const config = loadConfigFile(file);
  const problems = [...compileNamedFilters(config).problems, ...sinkProblems(config)];
  if (problems.length > 0) throw new ConfigError(file, problems);
  // The web configuration it names is checked too: keys, hashes and the TLS files it points to.
  if (config.web_config_file !== '') {
    const web = loadWebConfig(resolve(dirname(file), config.web_config_file));
    if (web.tls !== undefined) tlsServerOptions(web);
  }
  // What the file alone decides about OTLP (otlp.timeout within otlp.interval); the OTEL_* environment is checked at start-up.
  resolveOtlpSettings(config, file, VERSION, {});
  process.stdout.write(`${file}: configuration is valid\n`);
  return 0;
}
