// A loaded xgboost booster behind inferd's Model interface, answering as KServe's xgbserver does:
// `booster.predict(xgb.DMatrix(X))` on the first input tensor, returned as FP32 `output-0` -- probabilities [n]
// for binary:logistic, [n, k] for multi:softprob, class indices [n] for multi:softmax, values for regression.

import { InferdError } from '../../errors.js';
import type { ParallelKernel } from '../intra-op/settings.js';
import type { Model, ModelMetadata, PredictOptions, Tensor } from '../model.js';
import { columnsToMatrix, toFloat32Matrix } from './feature-matrix.js';
import type { XgbPredictor } from './xgb-predictor.js';

export interface XgboostModelOptions {
  /**
   * The value that means "missing" besides NaN, like xgboost's `DMatrix(missing=...)`; NaN (the default) for none.
   * A request may override it with the `missing` parameter.
   */
  missing?: number;
  /** Predict with trees up to `best_iteration` when the model stores one (xgboost's sklearn API does this;
   *  KServe's xgbserver, which calls Booster.predict, does not, so neither do we by default). */
  useBestIteration?: boolean;
  /** Splits large batches across threads (runtimes/intra-op); absent: every call on the calling thread. */
  parallel?: ParallelKernel;
}

const PLATFORMS: Record<string, string> = { json: 'xgboost_json', ubj: 'xgboost_ubj', 'legacy binary': 'xgboost' };

export class XgboostModel implements Model {
  readonly name: string;
  readonly predictor: XgbPredictor;
  readonly #missing: number;
  readonly #defaultRange: readonly [number, number] | undefined;
  readonly #parallel: ParallelKernel | undefined;

  constructor(name: string, predictor: XgbPredictor, options: XgboostModelOptions = {}) {
    this.name = name;
    this.predictor = predictor;
    this.#missing = Math.fround(options.missing ?? Number.NaN);
    this.#parallel = options.parallel;
    const best = predictor.bestIteration;
    this.#defaultRange =
      options.useBestIteration && best !== undefined && predictor.rounds > 0
        ? [0, Math.min(best + 1, predictor.rounds)]
        : undefined;
  }

  metadata(): ModelMetadata {
    const p = this.predictor;
    const softmax = p.objective.name === 'multi:softmax';
    return {
      platform: PLATFORMS[p.format] ?? 'xgboost',
      inputs: [{ name: 'input-0', datatype: 'FP32', shape: [-1, p.numFeature] }],
      outputs: [{ name: 'output-0', datatype: 'FP32', shape: p.groups === 1 || softmax ? [-1] : [-1, p.groups] }],
    };
  }

  /** Synchronous, on the calling thread, unless the batch is large enough to split across threads. */
  predict(inputs: Tensor[], opts?: PredictOptions): Tensor[] | Promise<Tensor[]> {
    const missing = requestMissing(opts?.parameters?.missing) ?? this.#missing;
    const iterationRange = requestRange(opts?.parameters?.iteration_range) ?? this.#defaultRange;
    const spec = { runtime: 'xgboost', nFeatures: this.predictor.numFeature };
    // KServe's pandas path (V1 records, V2 `content_type: "pd"`): a DataFrame whose names xgboost checks.
    const input =
      opts?.parameters?.content_type === 'pd'
        ? columnsToMatrix(inputs, { ...spec, featureNames: this.predictor.featureNames, absent: 'error' })
        : inputs[0];
    const { x, rows } = toFloat32Matrix(input, spec);
    checkFinite(x, missing, input!.name);
    const settings = { missing, iterationRange };
    if (this.#parallel && this.predictor.splits(this.#parallel, rows, settings)) {
      return this.predictor
        .predictParallel(this.#parallel, x, rows, settings)
        .then((result) => [{ name: 'output-0', datatype: 'FP32', shape: result.shape, data: result.data }]);
    }
    const result = this.predictor.predict(x, rows, settings);
    return [{ name: 'output-0', datatype: 'FP32', shape: result.shape, data: result.data }];
  }

  unload(): void {
    this.#parallel?.close();
  }
}

/** xgboost refuses infinities in a DMatrix unless they are its `missing` value; so do we, with its words. */
function checkFinite(x: Float32Array, missing: number, name: string): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if ((v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) && v !== missing) {
      throw new InferdError(
        'INVALID_INPUT',
        `input ${name}: Input data contains \`inf\` at index ${i}; send NaN or null for a missing value`,
      );
    }
  }
}

function requestMissing(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Math.fround(v);
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Math.fround(Number(v));
  if (typeof v === 'string' && v.trim().toLowerCase() === 'nan') return Number.NaN;
  throw new InferdError('INVALID_INPUT', `parameter missing: expected a number, got ${JSON.stringify(v)}`);
}

function requestRange(v: unknown): readonly [number, number] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.length === 2 && v.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    return [v[0] as number, v[1] as number];
  }
  throw new InferdError(
    'INVALID_INPUT',
    `parameter iteration_range: expected [begin, end] boosting rounds, got ${JSON.stringify(v)}`,
  );
}
