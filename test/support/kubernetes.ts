/**
 * Kubernetes manifests for tests: rendering a kustomization with the real `kubectl kustomize`,
 * reading every manifest file under deploy/, and validating objects offline against the schemas of
 * npm `kubernetes-models` (the API's OpenAPI) and `@kubernetes-models/prometheus-operator` (the
 * operator's CRDs). Those schemas check types, formats (quantities, durations), enums and
 * required fields; like the API's OpenAPI they do not reject unknown fields, which is why the
 * tests also assert each property they rely on by its path.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The repository: next to dist/ when built in place, else the working directory. */
export const ROOT = [join(__dirname, '..', '..', '..'), process.cwd()].find((d) => existsSync(join(d, 'deploy', 'kubernetes')))!;
export const KUBE = join(ROOT, 'deploy', 'kubernetes');

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** Why `kubectl kustomize` cannot run here, or undefined. */
export function kustomizeSkipReason(): string | undefined {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error !== undefined || r.status !== 0) return 'kubectl is not installed (kubectl kustomize renders the kustomizations)';
  if (!/Kustomize Version: v[5-9]/.test(r.stdout)) return `kubectl without kustomize v5+ (${r.stdout.trim().replace(/\n/g, '; ')})`;
  return undefined;
}

/** The objects `kubectl kustomize DIR` renders. */
export function kustomize(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${relative(ROOT, dir)} failed (${r.status ?? r.signal}): ${r.stderr || r.error?.message}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
}

/** Every folder under deploy/kubernetes with a kustomization.yaml, and what it declares (Kustomization or Component). */
export function kustomizationDirs(): { dir: string; kind: string }[] {
  const out: { dir: string; kind: string }[] = [];
  const walk = (dir: string): void => {
    const file = join(dir, 'kustomization.yaml');
    if (existsSync(file)) out.push({ dir, kind: (parseAllDocuments(readFileSync(file, 'utf8'))[0]!.toJS() as { kind: string }).kind });
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(KUBE);
  return out.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** Every YAML file under deploy/, with its documents. */
export function manifestFiles(): { file: string; docs: unknown[] }[] {
  const out: { file: string; docs: unknown[] }[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) {
        const docs = parseAllDocuments(readFileSync(p, 'utf8'));
        for (const d of docs) if (d.errors.length > 0) throw new Error(`${relative(ROOT, p)}: ${d.errors[0]!.message}`);
        out.push({ file: relative(ROOT, p), docs: docs.map((d) => d.toJS() as unknown) });
      }
    }
  };
  walk(join(ROOT, 'deploy'));
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: object) => Model;

/** The kubernetes-models class for apiVersion/kind; throws if neither package has a schema for it. */
async function modelClass(apiVersion: string, kind: string): Promise<ModelClass> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const spec =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
      : group === ''
        ? `kubernetes-models/${version}/${kind}`
        : `kubernetes-models/${group}/${version}/${kind}`;
  let mod: Record<string, unknown>;
  try {
    // Both packages are ES modules only: import() from CommonJS.
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`no schema for ${apiVersion} ${kind} (${spec}): ${(err as Error).message}`);
  }
  const cls = mod[kind];
  if (typeof cls !== 'function') throw new Error(`${spec} exports no ${kind}`);
  return cls as ModelClass;
}

/** Validates one object against its schema; throws naming the object and every problem. */
export async function validateObject(obj: K8sObject, where: string): Promise<void> {
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') throw new Error(`${where}: an object without apiVersion/kind`);
  const Cls = await modelClass(obj.apiVersion, obj.kind);
  try {
    new Cls(obj).validate();
  } catch (err) {
    throw new Error(`${where}: ${obj.kind} ${obj.metadata?.name}: ${(err as Error).message}`);
  }
}
