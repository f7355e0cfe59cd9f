/**
 * Label-value escaping of the Prometheus text exposition format (0.0.4): inside a label value,
 * backslash, double quote and line feed are written as \\, \" and \n.
 */
export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

