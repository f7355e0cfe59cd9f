/**
 * The generated Kubernetes files (scripts/generate-kubernetes.ts) are current: this fails as soon as
 * alerts/, grafana/dashboards/ or config.yaml change without `npm run generate:kubernetes`. And the
 * generator itself, on a repository made here: which files of alerts/ are rule files, one
 * ConfigMap per dashboard, clear failures on duplicate groups and broken JSON.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CONFIG_COPY, DASHBOARDS, PROMETHEUS_RULE, generateKubernetes, ruleFiles, staleFiles } from '../../scripts/generate-kubernetes';
import { ROOT } from '../support/kubernetes';

describe('generated Kubernetes files', () => {
  it('are what `npm run generate:kubernetes` makes from alerts/, grafana/dashboards/ and config.yaml now', () => {
    assert.deepEqual(staleFiles(ROOT), [], 'stale: run npm run generate:kubernetes and commit the result');
  });
});

describe('the generator', () => {
  let root: string;
  const write = (path: string, text: string): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'netmon-generate-'));
    write('config.yaml', 'listen: "0.0.0.0:10847"\n');
    write('alerts/b-rules.yml', 'groups:\n  - name: b\n    rules:\n      # why\n      - alert: B\n        expr: up == 0\n');
    write('alerts/a-rules.yaml', 'groups:\n  - name: a1\n    rules:\n      - record: x:y:z\n        expr: sum(up)\n  - name: a2\n    rules: []\n');
    write('alerts/b-rules.test.yml', 'rule_files: [b-rules.yml]\ntests: []\n');
    write('alerts/alertmanager.yml', 'route:\n  receiver: x\nreceivers:\n  - name: x\n');
    write('alerts/notes.yml', 'just: a map\n');
    write('grafana/dashboards/Traffic Overview.json', '{"uid": "t", "title": "T"}\n');
    write('grafana/dashboards/flows.json', '{"uid": "f", "title": "F"}\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('takes the groups of every rule file only, in file-name order, comments kept', () => {
    assert.deepEqual(ruleFiles(root), ['alerts/a-rules.yaml', 'alerts/b-rules.yml']);
    const out = generateKubernetes(root);
    const rule = parseAllDocuments(out.get(PROMETHEUS_RULE)!).map((d) => d.toJS() as { kind: string; spec: { groups: { name: string }[] } });
    assert.equal(rule.length, 1);
    assert.equal(rule[0]!.kind, 'PrometheusRule');
    assert.deepEqual(rule[0]!.spec.groups.map((g) => g.name), ['a1', 'a2', 'b']);
    assert.match(out.get(PROMETHEUS_RULE)!, /# why\n/);
    assert.equal(out.get(CONFIG_COPY), 'listen: "0.0.0.0:10847"\n');
  });

  it('makes one labelled ConfigMap per dashboard with the file as it is', () => {
    const maps = parseAllDocuments(generateKubernetes(root).get(DASHBOARDS)!).map(
      (d) => d.toJS() as { metadata: { name: string; labels: Record<string, string> }; data: Record<string, string> },
    );
    // File-name order (code points: 'T' before 'f'); names made DNS-safe.
    assert.deepEqual(maps.map((m) => m.metadata.name), ['netmon-dashboard-traffic-overview', 'netmon-dashboard-flows']);
    for (const m of maps) assert.equal(m.metadata.labels.grafana_dashboard, '1');
    assert.equal(maps.find((m) => m.metadata.name.endsWith('flows'))!.data['flows.json'], '{"uid": "f", "title": "F"}\n');
  });

  it('refuses a group name used twice, naming both files', () => {
    write('alerts/c-rules.yml', 'groups:\n  - name: a2\n    rules: []\n');
    try {
      assert.throws(() => generateKubernetes(root), /group "a2" is in both alerts\/a-rules\.yaml and alerts\/c-rules\.yml/);
    } finally {
      rmSync(join(root, 'alerts', 'c-rules.yml'));
    }
  });

  it('refuses a dashboard that is not JSON, naming it', () => {
    write('grafana/dashboards/broken.json', '{"uid": ');
    try {
      assert.throws(() => generateKubernetes(root), /grafana\/dashboards\/broken\.json: not JSON/);
    } finally {
      rmSync(join(root, 'grafana', 'dashboards', 'broken.json'));
    }
  });

  it('reports a stale file and then none after writing', () => {
    for (const [path, text] of generateKubernetes(root)) write(path, text);
    assert.deepEqual(staleFiles(root), []);
    write('grafana/dashboards/flows.json', '{"uid": "f", "title": "F2"}\n');
    assert.deepEqual(staleFiles(root), [DASHBOARDS]);
    assert.equal(readFileSync(join(root, CONFIG_COPY), 'utf8'), 'listen: "0.0.0.0:10847"\n');
  });
});
