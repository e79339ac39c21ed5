import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ageOf, humanDuration } from '../../src/api/age.js';
import { kindByName } from '../../src/api/types.js';
import { tableRows } from '../../src/cli/printers/columns.js';
import { describeObject } from '../../src/cli/printers/describe.js';
import { DescribeWriter } from '../../src/cli/printers/describe-writer.js';
import { renderJsonPath } from '../../src/cli/printers/jsonpath.js';
import { MASK, maskSecrets } from '../../src/cli/printers/mask.js';
import { formatStructured } from '../../src/cli/printers/output.js';
import { formatCells, formatTable, KUBECTL_DESCRIBE } from '../../src/cli/printers/table.js';
import { toJson, toYaml } from '../../src/cli/printers/yaml.js';
import { CANARY_ISVC } from './fixtures.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const isvcKind = kindByName('InferenceService')!;
const secretKind = kindByName('Secret')!;

test('AGE reads like kubectl at every scale', () => {
  const s = 1000;
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [-1 * s, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [182 * s, '3m2s'],
    [300 * s, '5m'],
    [45 * 60 * s, '45m'],
    [4 * 3600 * s, '4h'],
    [(4 * 3600 + 5 * 60) * s, '4h5m'],
    [20 * 3600 * s, '20h'],
    [2 * 86400 * s, '2d'],
    [(3 * 86400 + 4 * 3600) * s, '3d4h'],
    [30 * 86400 * s, '30d'],
    [(3 * 365 + 10) * 86400 * s, '3y10d'],
    [9 * 365 * 86400 * s, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms} ms`);
  assert.equal(ageOf(undefined, NOW), '<unknown>');
  assert.equal(ageOf('2024-05-01T11:59:55Z', NOW), '5s');
});

test('tables pad every column but the last to its widest cell plus 3 spaces, minimum 6', () => {
  const text = formatTable([
    ['NAME', 'READY', 'AGE'],
    ['a', 'True', '5s'],
    ['longer-name', '', '2m'],
  ]);
  assert.equal(text, 'NAME          READY   AGE\na             True    5s\nlonger-name           2m\n');
  // A narrow column still takes kubectl's minimum width of 6.
  assert.equal(
    formatTable([
      ['A', 'B'],
      ['x', 'y'],
    ]),
    'A     B\nx     y\n',
  );
});

test('a line with fewer cells ends the alignment block, as Go tabwriter does', () => {
  const text = formatCells(
    [['Name:', 'x'], ['Annotations:', 'y'], ['Spec:'], ['  Very Long Key:', 'z']],
    KUBECTL_DESCRIBE,
  );
  assert.equal(text, 'Name:         x\nAnnotations:  y\nSpec:\n  Very Long Key:  z\n');
});

test('a describe table with no rows prints nothing; one with a header prints it underlined', () => {
  const w = new DescribeWriter();
  w.field(0, 'Events');
  w.table(1, []); // threw a TypeError (reading the header's map) before
  assert.equal(w.toString(), 'Events:\n');
  w.table(1, [
    ['Type', 'Reason'],
    ['Normal', 'Ready'],
  ]);
  assert.equal(w.toString(), 'Events:\n  Type    Reason\n  ----    ------\n  Normal  Ready\n');
});

test('describe titles a top-level field of an unknown kind, even one with an empty name', () => {
  const obj = { apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w' }, size: 3, '': 'x' };
  const text = describeObject(obj, [], { nowMs: NOW, showSecrets: false }); // '' threw a TypeError before
  assert.match(text, /^Size:\n {2}3$/m);
  assert.match(text, /^:\n {2}x$/m);
});

test('remembered widths keep watch rows aligned with the first table and never shrink', () => {
  const widths: number[] = [];
  formatTable(
    [
      ['NAME', 'AGE'],
      ['a-long-name', '1s'],
    ],
    widths,
  );
  assert.equal(formatTable([['b', '2s']], widths), 'b             2s\n');
});

test('isvc table has kubectl get isvc columns; PREV/LATEST are traffic percents; wide adds revisions', () => {
  const rows = tableRows(isvcKind, [CANARY_ISVC], { wide: false, withNamespace: false, nowMs: NOW });
  assert.deepEqual(rows, [
    ['NAME', 'URL', 'READY', 'PREV', 'LATEST', 'AGE'],
    ['sklearn-iris', 'http://sklearn-iris.kserve-test.example.com', 'True', '90', '10', '3m2s'],
  ]);
  const wide = tableRows(isvcKind, [CANARY_ISVC], { wide: true, withNamespace: true, nowMs: NOW });
  assert.deepEqual(wide[0], [
    'NAMESPACE',
    'NAME',
    'URL',
    'READY',
    'PREV',
    'LATEST',
    'PREVROLLEDOUTREVISION',
    'LATESTREADYREVISION',
    'REPLICAS',
    'AGE',
  ]);
  assert.equal(wide[1]![8], '2/3', 'Ready/desired replicas');
  assert.deepEqual(wide[1]!.slice(0, 1), ['kserve-test']);
  assert.deepEqual(wide[1]!.slice(6, 8), ['sklearn-iris-predictor-00001', 'sklearn-iris-predictor-00002']);
});

test('an isvc with no status yet prints empty URL/READY/PREV/LATEST cells', () => {
  const bare = { ...CANARY_ISVC, status: undefined };
  const [, row] = tableRows(isvcKind, [bare], { wide: false, withNamespace: false, nowMs: NOW });
  assert.deepEqual(row, ['sklearn-iris', '', '', '', '', '3m2s']);
});

test('secrets table counts keys of data and stringData', () => {
  const secret = {
    kind: 'Secret',
    metadata: { name: 's3creds', creationTimestamp: '2024-05-01T11:59:00Z' },
    data: { a: 'eA==' },
    stringData: { b: 'y' },
  };
  assert.deepEqual(tableRows(secretKind, [secret], { wide: false, withNamespace: false, nowMs: NOW }), [
    ['NAME', 'TYPE', 'DATA', 'AGE'],
    ['s3creds', 'Opaque', '2', '60s'],
  ]);
});

test('Secret values are masked in yaml, json and lists unless --show-secrets', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's3creds' },
    data: { AWS_SECRET_ACCESS_KEY: 'c2VjcmV0' },
    stringData: { token: 'plain-secret' },
  };
  const masked = maskSecrets(secret);
  assert.deepEqual(masked.data, { AWS_SECRET_ACCESS_KEY: MASK });
  assert.equal(secret.data.AWS_SECRET_ACCESS_KEY, 'c2VjcmV0', 'the input is not modified');
  for (const format of [{ kind: 'yaml' }, { kind: 'json' }] as const) {
    const text = formatStructured([secret, secret], format, { single: false, showSecrets: false });
    assert.doesNotMatch(text, /c2VjcmV0|plain-secret/);
    assert.match(text, /\*\*\*/);
  }
  const shown = formatStructured([secret], { kind: 'yaml' }, { single: true, showSecrets: true });
  assert.match(shown, /c2VjcmV0/);
});

test('yaml output sorts keys and does not indent sequences, like kubectl', () => {
  assert.equal(toYaml({ b: 1, a: [{ q: 1, p: 2 }] }), 'a:\n- p: 2\n  q: 1\nb: 1\n');
  // Quoted as kubectl's YAML 1.1 writer does, so every reader keeps them strings.
  assert.equal(toYaml({ t: '2024-05-01T12:00:00Z', on: 'yes' }), '"on": "yes"\nt: "2024-05-01T12:00:00Z"\n');
  assert.equal(toJson({ b: 1, a: 2 }), '{\n    "a": 2,\n    "b": 1\n}\n');
});

test('jsonpath: fields, filters, wildcards, ranges and literals', () => {
  assert.equal(renderJsonPath('{.status.url}', CANARY_ISVC), 'http://sklearn-iris.kserve-test.example.com');
  assert.equal(renderJsonPath('{.status.conditions[?(@.type=="Ready")].status}', CANARY_ISVC), 'True');
  assert.equal(renderJsonPath('{.status.components.predictor.traffic[*].percent}', CANARY_ISVC), '10 90');
  assert.equal(renderJsonPath('{.status.conditions[-1].type}', CANARY_ISVC), 'Ready');
  const list = { items: [CANARY_ISVC, { metadata: { name: 'b' } }] };
  assert.equal(renderJsonPath('{range .items[*]}{.metadata.name}{"\\n"}{end}', list), 'sklearn-iris\nb\n');
  assert.equal(renderJsonPath('{.missing.field}', CANARY_ISVC), '');
  assert.throws(() => renderJsonPath('{.a', {}), { code: 'INVALID_INPUT' });
});
