// Objects shared by the CLI tests.

/** An InferenceService mid-canary: 90% on the previous revision, 10% on the latest. */
export const CANARY_ISVC = {
  apiVersion: 'serving.kserve.io/v1beta1',
  kind: 'InferenceService',
  metadata: { name: 'sklearn-iris', namespace: 'kserve-test', creationTimestamp: '2024-05-01T11:56:58Z' },
  spec: { predictor: { canaryTrafficPercent: 10, model: { modelFormat: { name: 'sklearn' } } } },
  status: {
    url: 'http://sklearn-iris.kserve-test.example.com',
    conditions: [
      { type: 'PredictorReady', status: 'True', lastTransitionTime: '2024-05-01T11:57:00Z' },
      { type: 'Ready', status: 'True', lastTransitionTime: '2024-05-01T11:57:00Z' },
    ],
    components: {
      predictor: {
        latestCreatedRevision: 'sklearn-iris-predictor-00002',
        previousRolledoutRevision: 'sklearn-iris-predictor-00001',
        desiredReplicas: 3,
        readyReplicas: 2,
        traffic: [
          { revisionName: 'sklearn-iris-predictor-00002', percent: 10, latestRevision: true, tag: 'latest' },
          { revisionName: 'sklearn-iris-predictor-00001', percent: 90, latestRevision: false, tag: 'prev' },
        ],
      },
    },
  },
};
