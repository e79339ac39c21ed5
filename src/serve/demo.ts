// `inferd serve --demo` (npm start): the bundled sklearn-iris model as an InferenceService.

import type { InferenceService, InferenceServiceSpec, Resource } from '../api/types.js';
import type { Logger } from '../log.js';
import { asset } from '../package.js';
import type { Store } from '../store/store.js';

const DEMO_ANNOTATION = 'inferd.dev/demo';
const DEMO_MODEL = 'models/sklearn-iris/model.joblib';
const DEMO_KEY = { kind: 'InferenceService', namespace: 'default', name: 'sklearn-iris' } as const;

/**
 * The bundled sklearn-iris model in namespace default; left alone if the user changed it. A state dir shared
 * by two installations (the default `~/.inferd`) may hold the demo created by the other one, pointing at that
 * installation's copy of the model (perhaps deleted since): that one is pointed at this installation's copy.
 */
export function applyDemo(
  store: Store,
  admitFn: (obj: Resource, op: 'CREATE' | 'UPDATE', old: Resource | undefined) => Resource,
  log: Logger,
): void {
  const storageUri = asset(DEMO_MODEL);
  const existing = store.get<InferenceService>(DEMO_KEY);
  if (existing) {
    const other = otherInstallationsDemo(existing, storageUri);
    if (other === undefined) return;
    store.update(admitFn({ ...existing, spec: other.spec }, 'UPDATE', existing));
    log.info('demo InferenceService default/sklearn-iris now serves this installation’s model', {
      from: other.from,
      to: storageUri,
    });
    return;
  }
  const isvc: InferenceService = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'sklearn-iris', namespace: 'default', annotations: { [DEMO_ANNOTATION]: 'true' } },
    spec: {
      predictor: {
        model: {
          modelFormat: { name: 'sklearn' },
          storageUri,
        },
      },
    },
  };
  store.create(admitFn(isvc, 'CREATE', undefined));
  log.info('demo InferenceService default/sklearn-iris created');
}

/**
 * A demo service created by another installation: still marked as the demo, its only model the bundled iris
 * file of a different package root. Gives the spec pointed at `ours`. A service the user edited in any other
 * way (another model, a transformer, a second component) is theirs: undefined.
 */
function otherInstallationsDemo(
  isvc: InferenceService,
  ours: string,
): { from: string; spec: InferenceServiceSpec } | undefined {
  if (isvc.metadata.annotations?.[DEMO_ANNOTATION] !== 'true' || !isvc.spec) return undefined;
  const { predictor, ...others } = isvc.spec;
  if (Object.keys(others).length > 0) return undefined;
  const model = predictor.model;
  const from = model?.storageUri;
  if (!model || typeof from !== 'string' || from === ours) return undefined;
  if (model.modelFormat?.name !== 'sklearn' || !from.startsWith('/') || !from.endsWith(`/${DEMO_MODEL}`))
    return undefined;
  return { from, spec: { ...isvc.spec, predictor: { ...predictor, model: { ...model, storageUri: ours } } } };
}
