import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { admit } from '../../src/api/admission.js';
import { withBuiltinRuntimes } from '../../src/api/serving-runtimes.js';
import type { InferenceService, InferenceServiceSpec, Resource } from '../../src/api/types.js';
import { createLogger } from '../../src/log.js';
import { asset } from '../../src/package.js';
import { defaultRuntimes } from '../../src/runtimes/registry.js';
import { applyDemo } from '../../src/serve/demo.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

type TestContext = Parameters<NonNullable<Parameters<typeof test>[0]>>[0];

const KEY = { kind: 'InferenceService', namespace: 'default', name: 'sklearn-iris' } as const;
const servedFormats = [...new Set(defaultRuntimes().flatMap((r) => r.formats))];
const admitFn = (obj: Resource, op: 'CREATE' | 'UPDATE', old: Resource | undefined) =>
  admit(obj, op, old, { runtimes: withBuiltinRuntimes([]), servedFormats });

function open(t: TestContext): { store: SqliteStore; lines: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-demo-'));
  const store = SqliteStore.open({ stateDir: dir });
  t.after(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const lines: string[] = [];
  return { store, lines };
}

const logTo = (lines: string[]) => createLogger({ write: (l: string) => lines.push(l) });
type Demo = InferenceService & { spec: InferenceServiceSpec };
const demoOf = (store: SqliteStore) => store.get<InferenceService>(KEY) as Demo;
/** The demo's spec with only its predictor's storageUri changed (and `extra` components beside it). */
const withUri = (s: Demo, storageUri: string, extra: Partial<InferenceServiceSpec> = {}): InferenceServiceSpec => ({
  predictor: {
    ...s.spec.predictor,
    model: { ...s.spec.predictor.model, modelFormat: { name: 'sklearn' }, storageUri },
  },
  ...extra,
});
const uriOf = (store: SqliteStore) => store.get<InferenceService>(KEY)?.spec?.predictor.model?.storageUri;

test('the demo is created once, pointing at this installation’s model', (t) => {
  const { store, lines } = open(t);
  applyDemo(store, admitFn, logTo(lines));
  assert.equal(uriOf(store), asset('models/sklearn-iris/model.joblib'));
  const rv = store.get(KEY)?.metadata.resourceVersion;
  applyDemo(store, admitFn, logTo(lines));
  assert.equal(store.get(KEY)?.metadata.resourceVersion, rv, 'a second start changes nothing');
});

test('a demo created by another installation (stale path) is pointed at this one’s model', (t) => {
  const { store, lines } = open(t);
  applyDemo(store, admitFn, logTo(lines));
  const made = demoOf(store);
  const stale = '/tmp/some-old-checkout/models/sklearn-iris/model.joblib';
  store.update({ ...made, spec: withUri(made, stale) });
  assert.equal(uriOf(store), stale);
  applyDemo(store, admitFn, logTo(lines));
  assert.equal(uriOf(store), asset('models/sklearn-iris/model.joblib'));
  assert.ok(
    lines.some((l) => l.includes('now serves this installation') && l.includes(stale)),
    lines.join('\n'),
  );
});

test('a demo the user changed is left alone', async (t) => {
  const old = '/old/models/sklearn-iris/model.joblib';
  const cases: Array<[string, (s: Demo) => InferenceService]> = [
    ['another model', (s) => ({ ...s, spec: withUri(s, 'gs://kfserving-examples/models/sklearn/1.0/model') })],
    [
      'a transformer added',
      (s) => ({
        ...s,
        spec: withUri(s, old, {
          transformer: { containers: [{ name: 'kserve-container', image: 'example/transformer:1' }] },
        }),
      }),
    ],
    [
      'the demo annotation removed',
      (s) => ({ ...s, metadata: { ...s.metadata, annotations: {} }, spec: withUri(s, old) }),
    ],
  ];
  for (const [name, edit] of cases) {
    await t.test(name, (tt) => {
      const { store, lines } = open(tt);
      applyDemo(store, admitFn, logTo(lines));
      const edited = store.update(edit(demoOf(store)));
      applyDemo(store, admitFn, logTo(lines));
      assert.deepEqual(store.get<InferenceService>(KEY)?.spec, edited.spec);
    });
  }
});
