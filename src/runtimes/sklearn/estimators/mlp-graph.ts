// A fitted MLP (mlp.ts) as an ONNX graph for onnxruntime: per layer one Gemm (`h @ W.T + b`, W kept out × in as
// the JS kernel keeps it, so transB=1) and the hidden activation, the output activation at the end -- sklearn's
// _forward_pass_fast. The graph's output is what forward() returns (out_activation_ applied); decoding it
// (argmax, `p > 0.5`, [1 - p, p]) stays with the estimator.

import { encodeModel, type OnnxFloatType, type OnnxNode } from '../../onnx/model-proto.js';

export type Activation = 'identity' | 'logistic' | 'tanh' | 'relu' | 'softmax';

export interface DenseLayers {
  /** Layer i: sizes[i + 1] × sizes[i], row-major (coefs_[i] transposed). */
  weights: readonly Float64Array[];
  biases: readonly Float64Array[];
  sizes: readonly number[];
  hidden: Activation;
  output: Activation;
}

/** ONNX operator of each activation; identity adds no node. */
const OPS: Record<Activation, string | null> = {
  identity: null,
  logistic: 'Sigmoid',
  tanh: 'Tanh',
  relu: 'Relu',
  softmax: 'Softmax',
};

export const MLP_INPUT = 'X';
export const MLP_OUTPUT = 'Y';

/** The ModelProto bytes: input X (N × sizes[0]) and output Y (N × last size), in `type`. */
export function mlpGraph(layers: DenseLayers, type: OnnxFloatType): Uint8Array {
  const nodes: OnnxNode[] = [];
  const initializers = layers.weights.flatMap((w, i) => [
    { name: `W${i}`, type, dims: [layers.sizes[i + 1]!, layers.sizes[i]!], values: w },
    { name: `B${i}`, type, dims: [layers.sizes[i + 1]!], values: layers.biases[i]! },
  ]);
  let current = MLP_INPUT;
  const last = layers.weights.length - 1;
  layers.weights.forEach((_w, i) => {
    const op = OPS[i === last ? layers.output : layers.hidden];
    // The last node writes the graph output itself (no Identity at the end).
    const z = i === last && !op ? MLP_OUTPUT : `Z${i}`;
    nodes.push({ op: 'Gemm', inputs: [current, `W${i}`, `B${i}`], outputs: [z], ints: { transB: 1 } });
    current = z;
    if (op) {
      const a = i === last ? MLP_OUTPUT : `A${i}`;
      // Softmax over each row (axis 1), as sklearn's softmax(X) over axis=1.
      nodes.push({ op, inputs: [z], outputs: [a], ...(op === 'Softmax' ? { ints: { axis: 1 } } : {}) });
      current = a;
    }
  });
  const nIn = layers.sizes[0]!;
  const nOut = layers.sizes[layers.sizes.length - 1]!;
  return encodeModel({
    name: 'sklearn_mlp',
    inputs: [{ name: MLP_INPUT, type, dims: ['N', nIn] }],
    outputs: [{ name: MLP_OUTPUT, type, dims: ['N', nOut] }],
    initializers,
    nodes,
    opset: 13,
  });
}
