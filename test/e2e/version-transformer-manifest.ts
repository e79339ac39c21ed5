// The canary tests' service: the built-in sklearn predictor behind the version transformer fixture
// (test/fixtures/sdk/version-transformer.ts answers with its TRANSFORMER_VERSION), with an optional
// `canaryTrafficPercent` on the transformer.

import { fileURLToPath } from 'node:url';

const VERSION_JS = fileURLToPath(new URL('../fixtures/sdk/version-transformer.js', import.meta.url));

export function versionTransformerManifest(
  name: string,
  version: string,
  canary?: number,
  annotations?: Record<string, string>,
): string {
  return JSON.stringify({
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
    spec: {
      predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'models/sklearn-iris' } },
      transformer: {
        ...(canary !== undefined ? { canaryTrafficPercent: canary } : {}),
        containers: [
          {
            name: 'kserve-container',
            command: ['inferd', 'run', VERSION_JS],
            env: [{ name: 'TRANSFORMER_VERSION', value: version }],
          },
        ],
      },
    },
  });
}
