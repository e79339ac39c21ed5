// `inferd serve --demo` (npm start): the bundled sklearn-iris model as an InferenceService.

import type { InferenceService, Resource } from '../api/types.js';
import type { Logger } from '../log.js';
import { asset } from '../package.js';
import type { Store } from '../store/store.js';

/** The bundled sklearn-iris model in namespace default; left alone if the user changed it. */
export function applyDemo(
  store: Store,
  admitFn: (obj: Resource, op: 'CREATE' | 'UPDATE', old: Resource | undefined) => Resource,
  log: Logger,
): void {
  if (store.get({ kind: 'InferenceService', namespace: 'default', name: 'sklearn-iris' })) return;
  const isvc: InferenceService = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'sklearn-iris', namespace: 'default', annotations: { 'inferd.dev/demo': 'true' } },
    spec: {
      predictor: {
        model: {
          modelFormat: { name: 'sklearn' },
          storageUri: asset('models/sklearn-iris/model.joblib'),
        },
      },
    },
  };
  store.create(admitFn(isvc, 'CREATE', undefined));
  log.info('demo InferenceService default/sklearn-iris created');
}
