import { defaultConfig, loadConfigFile } from '../config/load';
import type { NetmonConfig } from '../config/schema';

/** The configuration from a file, or the embedded defaults when none is given, and its name for messages. */
export function loadConfigOrDefaults(file: string | undefined): { config: NetmonConfig; name: string } {
  if (file === undefined) return { config: defaultConfig(), name: '(built-in defaults)' };
  return { config: loadConfigFile(file), name: file };
}
