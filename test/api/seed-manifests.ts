// The InferenceService manifests of the seeds (shared/seeds/*.txt), verbatim, plus the Secret/ServiceAccount pair
// seed 002 applies as sa.yaml (its content is not shown there; this is KServe's documented S3 + MinIO shape,
// kserve docs "modelserving/storage/s3", with DESIGN.md story 3's annotations).

/** seed 000: new style, applied with `kubectl apply -n kserve-test` (no namespace in the YAML). */
export const SEED_000_NEW_STYLE = `apiVersion: "serving.kserve.io/v1beta1"
kind: "InferenceService"
metadata:
  name: "sklearn-iris"
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: "gs://kfserving-examples/models/sklearn/1.0/model"
`;

/** seed 002: is_mlflow.yaml — MLflow model on MinIO, V2 protocol, credentials via a ServiceAccount. */
export const SEED_002_MLFLOW = `apiVersion: "serving.kserve.io/v1beta1"
kind: "InferenceService"
metadata:
  name: "irish-s3"
spec:
  predictor:
    serviceAccountName: sa
    model:
      modelFormat:
        name: mlflow
      protocolVersion: v2
      storageUri: "s3://mlflow/1/d9a3dd7164bd423b9482ab8a77316c33/artifacts/iris_model"

`;

/** seed 002: sa.yaml (see the header). */
export const SEED_002_SA = `apiVersion: v1
kind: Secret
metadata:
  name: s3creds
  annotations:
    serving.kserve.io/s3-endpoint: minio-service.kubeflow:9000
    serving.kserve.io/s3-usehttps: "0"
    serving.kserve.io/s3-region: us-east-1
type: Opaque
stringData:
  AWS_ACCESS_KEY_ID: minio
  AWS_SECRET_ACCESS_KEY: minio123
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
secrets:
  - name: s3creds
`;

/** seed 004: iris-example.yaml — old style (`predictor.sklearn`). */
export const SEED_004_OLD_STYLE = `apiVersion: "serving.kserve.io/v1beta1"
kind: "InferenceService"
metadata:
  name: "sklearn-iris"
spec:
  predictor:
    sklearn:
      storageUri: "gs://kfserving-samples/models/sklearn/iris"

`;

/**
 * seed 001 calls a V2 model "sklearn-irisv2"; this is KServe's sample for it
 * (docs/samples/v1beta1/sklearn/v2/sklearn.yaml, with the explicit runtime the KServe docs use).
 */
export const SKLEARN_IRIS_V2 = `apiVersion: "serving.kserve.io/v1beta1"
kind: "InferenceService"
metadata:
  name: "sklearn-irisv2"
  namespace: kubeflow-user-example-com
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      protocolVersion: v2
      runtime: kserve-sklearnserver
      storageUri: "gs://seldon-models/sklearn/mms/lr_model"
`;
