/**
 * deploy/kubernetes: every manifest file and every rendered kustomization (`kubectl kustomize`)
 * validates offline against the Kubernetes and prometheus-operator schemas; the DaemonSet has the
 * least-privilege and scheduling properties of a node agent; the PodMonitor finds its pods; the
 * PrometheusRule carries exactly the groups of alerts/, the dashboard ConfigMaps exactly
 * grafana/dashboards/*.json, and the netmon ConfigMap exactly config.yaml, which `netmon check-config`
 * accepts. Sources are read here independently of scripts/generate-kubernetes.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { parse } from 'yaml';
import { KUBE, ROOT, kustomizationDirs, kustomize, kustomizeSkipReason, manifestFiles, validateObject } from '../support/kubernetes';
import type { K8sObject } from '../support/kubernetes';
import { runNetmon } from '../support/netmon-cli';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const configText = readFileSync(join(ROOT, 'config.yaml'), 'utf8');
const listenPort = Number(/:(\d+)$/.exec((parse(configText) as { listen: string }).listen)![1]);

/** The groups of every rule file of alerts/, in file-name order (read here, not by the generator). */
function alertGroups(): unknown[] {
  const dir = join(ROOT, 'alerts');
  const groups: unknown[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(f) || /\.test\.ya?ml$/.test(f) || /^alertmanager\.ya?ml$/.test(f)) continue;
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as { groups?: unknown[] } | null;
    if (doc !== null && Array.isArray(doc.groups)) groups.push(...doc.groups);
  }
  return groups;
}

const dashboards = (): Map<string, string> =>
  new Map(
    readdirSync(join(ROOT, 'grafana', 'dashboards'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => [f, readFileSync(join(ROOT, 'grafana', 'dashboards', f), 'utf8')]),
  );

const one = (objs: K8sObject[], kind: string, name?: string): K8sObject => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `want one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
};

interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: {
    runAsUser?: number;
    runAsNonRoot?: boolean;
    privileged?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { add?: string[]; drop?: string[] };
    seccompProfile?: { type: string };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  dnsPolicy?: string;
  priorityClassName?: string;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  nodeSelector?: Record<string, string>;
  tolerations?: { key?: string; operator?: string; effect?: string; value?: string }[];
  securityContext?: { seccompProfile?: { type: string } };
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; configMap?: { name: string }; hostPath?: unknown }[];
}
interface DaemonSetSpec {
  selector: { matchLabels: Record<string, string> };
  updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: string | number; maxSurge?: string | number } };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

/** Kubernetes quantities as numbers (CPU in cores, memory in bytes), for comparing requests and limits. */
function quantity(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  assert.ok(m !== null, `quantity ${q}`);
  const mult: Record<string, number> = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * (m[2] === undefined ? 1 : mult[m[2]]!);
}

describe('deploy/ manifests, offline schema validation', () => {
  it('every object of every YAML file under deploy/ is valid; kustomizations name files that exist', async () => {
    let validated = 0;
    let kustomizations = 0;
    for (const { file, docs } of manifestFiles()) {
      for (const [i, doc] of docs.entries()) {
        const where = `${file} (document ${i + 1})`;
        if (doc === null) continue;
        const o = doc as K8sObject & { resources?: string[]; components?: string[]; configMapGenerator?: { files?: string[] }[] };
        if (o.kind === 'Kustomization' || o.kind === 'Component') {
          assert.match(o.apiVersion, /^kustomize\.config\.k8s\.io\/v1(beta1|alpha1)$/, where);
          const dir = join(ROOT, file, '..');
          for (const r of [...(o.resources ?? []), ...(o.components ?? []), ...(o.configMapGenerator ?? []).flatMap((g) => g.files ?? [])]) {
            assert.ok(readdirSync(join(dir, r, '..')).includes(basename(r)), `${where}: ${r} does not exist`);
          }
          kustomizations++;
        } else if (o.apiVersion === undefined && o.kind === undefined) {
          // Not a manifest: only the config copy the base's configMapGenerator reads.
          assert.equal(file, 'deploy/kubernetes/base/config.yaml', `${where}: neither a Kubernetes object nor the config`);
        } else {
          await validateObject(o, where);
          validated++;
        }
      }
    }
    assert.equal(kustomizations, 3);
    assert.ok(validated >= 7, `validated ${validated} objects`);
  });

  it('the schemas do reject a broken object (the validation is real)', async () => {
    const ds = manifestFiles().find((f) => f.file.endsWith('base/daemonset.yaml'))!.docs[0] as K8sObject & { spec: DaemonSetSpec };
    const broken = structuredClone(ds);
    broken.spec.template.spec.containers[0]!.resources = { limits: { memory: '512 MB' } };
    await assert.rejects(validateObject(broken, 'broken'), /memory/);
    const pm = manifestFiles().find((f) => f.file.endsWith('podmonitor.yaml'))!.docs[0] as K8sObject & { spec: { podMetricsEndpoints: { relabelings: { action: string }[] }[] } };
    const badPm = structuredClone(pm);
    badPm.spec.podMetricsEndpoints[0]!.relabelings[0]!.action = 'copy';
    await assert.rejects(validateObject(badPm, 'broken'), /action/);
  });
});

describe('rendered kustomizations', { skip: kustomizeSkipReason(), timeout: 120_000 }, () => {
  const rendered = new Map<string, K8sObject[]>();
  let dir: string;
  before(() => {
    for (const k of kustomizationDirs()) rendered.set(relative(KUBE, k.dir), kustomize(k.dir));
    dir = mkdtempSync(join(tmpdir(), 'netmon-manifests-'));
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const base = (): K8sObject[] => rendered.get('base')!;
  const example = (): K8sObject[] => rendered.get('overlays/example')!;

  it('kubectl kustomize renders base, the component and the example overlay; every object is valid', async () => {
    assert.deepEqual([...rendered.keys()].sort(), ['base', 'components/prometheus-operator', 'overlays/example']);
    for (const [name, objs] of rendered) {
      assert.ok(objs.length > 0, name);
      const ids = objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
      assert.equal(new Set(ids).size, ids.length, `${name}: duplicate objects`);
      for (const o of objs) {
        await validateObject(o, `kubectl kustomize ${name}`);
        if (o.kind !== 'Namespace') assert.equal(o.metadata.namespace, 'netmon', `${name}: ${o.kind} ${o.metadata.name} namespace`);
      }
    }
    const kinds = (objs: K8sObject[]): string[] => objs.map((o) => o.kind).sort();
    assert.deepEqual(kinds(base()), ['ConfigMap', 'DaemonSet', 'Namespace', 'Service', 'ServiceAccount']);
    assert.deepEqual(kinds(example()), [...kinds(base()), ...kinds(rendered.get('components/prometheus-operator')!)].sort());
    assert.ok(example().some((o) => o.kind === 'PodMonitor'));
    assert.ok(example().some((o) => o.kind === 'PrometheusRule'));
  });

  for (const name of ['base', 'overlays/example']) {
    it(`${name}: the DaemonSet is a least-privilege node agent`, () => {
      const objs = rendered.get(name)!;
      const ds = one(objs, 'DaemonSet', 'netmon') as K8sObject & { spec: DaemonSetSpec };
      const pod = ds.spec.template.spec;
      // Scheduling: every Linux node, tainted or not, before ordinary pods, rolling one slice at a time.
      assert.equal(pod.hostNetwork, true);
      assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
      assert.equal(pod.priorityClassName, 'system-node-critical');
      assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
      assert.ok(pod.tolerations?.some((t) => t.operator === 'Exists' && t.key === undefined && t.effect === undefined), 'a toleration of every taint');
      assert.equal(ds.spec.updateStrategy?.type, 'RollingUpdate');
      assert.ok(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable !== undefined, 'maxUnavailable');
      assert.equal(ds.spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0, 0, 'hostNetwork: a surge pod could not bind the port');
      // No host namespace but the network, no host files, no API token.
      assert.notEqual(pod.hostPID, true);
      assert.notEqual(pod.hostIPC, true);
      assert.ok((pod.volumes ?? []).every((v) => v.hostPath === undefined), 'no hostPath volume');
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(one(objs, 'ServiceAccount', pod.serviceAccountName).automountServiceAccountToken, false);
      assert.equal(pod.initContainers, undefined);
      assert.equal(pod.containers.length, 1);
      const c = pod.containers[0]!;
      const sc = c.securityContext!;
      assert.deepEqual(sc.capabilities?.drop, ['ALL']);
      assert.deepEqual(sc.capabilities?.add, ['NET_RAW'], 'NET_RAW only (test/deploy/capabilities.test.ts)');
      assert.equal(sc.allowPrivilegeEscalation, false);
      assert.equal(sc.readOnlyRootFilesystem, true);
      assert.notEqual(sc.privileged, true);
      assert.equal((sc.seccompProfile ?? pod.securityContext?.seccompProfile)?.type, 'RuntimeDefault');
      assert.equal(sc.seccompProfile?.type, 'RuntimeDefault');
      assert.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault');
      // Requests and limits for both resources, limits at least the requests.
      for (const r of ['cpu', 'memory']) {
        const req = c.resources?.requests?.[r];
        const lim = c.resources?.limits?.[r];
        assert.ok(req !== undefined && lim !== undefined, `${r} request and limit`);
        assert.ok(quantity(lim) >= quantity(req), `${r} limit ${lim} below request ${req}`);
      }
      // The README's soak figure (both processes 218-238 MiB) fits the request's neighbourhood, the flood under the limit.
      assert.ok(quantity(c.resources!.limits!.memory!) >= 400 * 2 ** 20);
      // Probes on the metrics port, which is config.yaml's listen port.
      const port = c.ports?.find((p) => p.name === 'metrics');
      assert.equal(port?.containerPort, listenPort);
      assert.deepEqual(c.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });
      assert.deepEqual(c.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
      // The image's CMD, with the config mounted where it says.
      assert.deepEqual(c.args, ['run', '--config', '/etc/netmon/config.yaml']);
      const mount = c.volumeMounts?.find((m) => m.mountPath === '/etc/netmon');
      assert.equal(mount?.readOnly, true);
      const vol = pod.volumes?.find((v) => v.name === mount?.name);
      const cm = one(objs, 'ConfigMap', vol?.configMap?.name);
      assert.deepEqual(Object.keys(cm.data as object), ['config.yaml']);
      assert.match(c.image, new RegExp(`:${pkg.version.replace(/\./g, '\\.')}$`), 'the image tag is the package version');
    });
  }

  it('the Namespace admits the pod (privileged level) and the headless Service selects it', () => {
    const ns = one(base(), 'Namespace', 'netmon');
    assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
    const ds = one(base(), 'DaemonSet', 'netmon') as K8sObject & { spec: DaemonSetSpec };
    const svc = one(base(), 'Service', 'netmon') as K8sObject & { spec: { clusterIP: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] } };
    assert.equal(svc.spec.clusterIP, 'None');
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(ds.spec.template.metadata.labels[k], v);
    assert.deepEqual(svc.spec.ports.map((p) => [p.name, p.port, p.targetPort]), [['metrics', listenPort, 'metrics']]);
    assert.deepEqual(ds.spec.selector.matchLabels, { 'app.kubernetes.io/name': 'netmon' });
  });

  it("the netmon ConfigMap is config.yaml as shipped, and netmon check-config accepts it", () => {
    for (const objs of [base(), example()]) {
      const ds = one(objs, 'DaemonSet', 'netmon') as K8sObject & { spec: DaemonSetSpec };
      const cm = one(objs, 'ConfigMap', ds.spec.template.spec.volumes![0]!.configMap!.name);
      const text = (cm.data as Record<string, string>)['config.yaml']!;
      assert.equal(text, configText);
      const file = join(dir, 'config.yaml');
      writeFileSync(file, text);
      const r = runNetmon(['check-config', file]);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it('the PodMonitor scrapes the DaemonSet pods on their metrics port, as job "netmon", labelled with the node', () => {
    const ds = one(example(), 'DaemonSet', 'netmon') as K8sObject & { spec: DaemonSetSpec };
    const pm = one(example(), 'PodMonitor') as K8sObject & {
      spec: {
        jobLabel?: string;
        namespaceSelector?: { matchNames?: string[]; any?: boolean };
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: { port: string; path?: string; relabelings?: { sourceLabels?: string[]; targetLabel?: string; action?: string }[] }[];
      };
    };
    const podLabels = ds.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(pm.spec.selector.matchLabels)) assert.equal(podLabels[k], v, `selector ${k}`);
    assert.ok(pm.spec.namespaceSelector?.any === true || pm.spec.namespaceSelector?.matchNames?.includes(ds.metadata.namespace!));
    const ep = pm.spec.podMetricsEndpoints;
    assert.equal(ep.length, 1);
    assert.ok(ds.spec.template.spec.containers[0]!.ports!.some((p) => p.name === ep[0]!.port));
    assert.equal(ep[0]!.path ?? '/metrics', '/metrics');
    assert.ok(
      ep[0]!.relabelings?.some((r) => r.sourceLabels?.length === 1 && r.sourceLabels[0] === '__meta_kubernetes_pod_node_name' && r.targetLabel === 'node' && (r.action ?? 'replace') === 'replace'),
      'node label from __meta_kubernetes_pod_node_name',
    );
    // The job name alerts/ select on (NetmonDown: up{job="netmon"}) is the pod label jobLabel names.
    const jobs = new Set([...JSON.stringify(alertGroups()).matchAll(/job=\\"([^"\\]+)\\"/g)].map((m) => m[1]!));
    assert.ok(pm.spec.jobLabel !== undefined);
    for (const job of jobs) assert.equal(podLabels[pm.spec.jobLabel], job, `alerts select job="${job}"`);
  });

  it('the PrometheusRule carries exactly the groups of alerts/', () => {
    const rule = one(example(), 'PrometheusRule') as K8sObject & { spec: { groups: unknown[] } };
    const want = alertGroups();
    assert.ok(want.length > 0);
    assert.deepEqual(rule.spec.groups, want);
  });

  it('the dashboard ConfigMaps carry exactly grafana/dashboards/*.json, labelled for the Grafana sidecar', () => {
    const maps = example().filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.grafana_dashboard === '1');
    const got = new Map(maps.flatMap((m) => Object.entries(m.data as Record<string, string>)));
    const want = dashboards();
    assert.ok(want.size > 0);
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
    for (const [k, text] of want) assert.equal(got.get(k), text, k);
    const uids = [...want.values()].map((t) => (JSON.parse(t) as { uid: string }).uid);
    assert.equal(new Set(uids).size, uids.length, 'dashboard uids are unique');
    // The sidecar provisions files as they are: an export "for sharing" (__inputs, ${DS_...}) would
    // never get its data source; a data source template variable works.
    for (const [k, text] of want) {
      assert.equal((JSON.parse(text) as { __inputs?: unknown }).__inputs, undefined, `${k}: __inputs`);
      assert.doesNotMatch(text, /\$\{DS_[A-Z_]+\}/, `${k}: \${DS_...} placeholder`);
    }
    for (const m of maps) assert.ok(Buffer.byteLength(JSON.stringify(m)) < 1024 * 1024, `${m.metadata.name}: a ConfigMap holds at most 1 MiB`);
  });

  it('the example overlay sets the kube-prometheus-stack release label without touching selectors', () => {
    for (const kind of ['PodMonitor', 'PrometheusRule']) assert.equal(one(example(), kind).metadata.labels?.release, 'kube-prometheus-stack', kind);
    const ds = one(example(), 'DaemonSet', 'netmon') as K8sObject & { spec: DaemonSetSpec };
    assert.deepEqual(ds.spec.selector.matchLabels, (one(base(), 'DaemonSet', 'netmon') as K8sObject & { spec: DaemonSetSpec }).spec.selector.matchLabels);
    assert.equal(ds.spec.template.metadata.labels.release, undefined);
    const pm = one(example(), 'PodMonitor') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> } } };
    assert.equal(pm.spec.selector.matchLabels.release, undefined);
  });
});
