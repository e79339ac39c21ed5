// A dense layer, `out = input @ W + b`, register-blocked: 4 rows × 4 outputs accumulate in locals over the
// inputs, so each loaded weight serves 4 rows and each loaded input 4 outputs (the plain row × weight loop
// spends a load and a store on every multiply-add). W is kept transposed (out × in) so both walks are
// contiguous. Each output is still `((x0·w0 + x1·w1) + …) + b` in input order, the sum the plain loop makes.

/** W (nIn × nOut, row-major as numpy stores coefs_) transposed to nOut × nIn. */
export function transposeWeights(w: Float64Array, nIn: number, nOut: number): Float64Array {
  const t = new Float64Array(nIn * nOut);
  for (let j = 0; j < nIn; j++) for (let o = 0; o < nOut; o++) t[o * nIn + j] = w[j * nOut + o]!;
  return t;
}

/** out[r * nOut + o] = Σ_j x[r * nIn + j] · wt[o * nIn + j] + b[o], for rows × nOut outputs. */
export function denseForward(
  x: Float64Array,
  rows: number,
  nIn: number,
  wt: Float64Array,
  b: Float64Array,
  nOut: number,
  out: Float64Array,
): void {
  const rows4 = rows - (rows % 4);
  const outs4 = nOut - (nOut % 4);
  for (let r = 0; r < rows4; r += 4) {
    const x0 = r * nIn;
    const x1 = x0 + nIn;
    const x2 = x1 + nIn;
    const x3 = x2 + nIn;
    for (let o = 0; o < outs4; o += 4) {
      const w0 = o * nIn;
      const w1 = w0 + nIn;
      const w2 = w1 + nIn;
      const w3 = w2 + nIn;
      let a00 = 0;
      let a01 = 0;
      let a02 = 0;
      let a03 = 0;
      let a10 = 0;
      let a11 = 0;
      let a12 = 0;
      let a13 = 0;
      let a20 = 0;
      let a21 = 0;
      let a22 = 0;
      let a23 = 0;
      let a30 = 0;
      let a31 = 0;
      let a32 = 0;
      let a33 = 0;
      for (let j = 0; j < nIn; j++) {
        const v0 = x[x0 + j]!;
        const v1 = x[x1 + j]!;
        const v2 = x[x2 + j]!;
        const v3 = x[x3 + j]!;
        const c0 = wt[w0 + j]!;
        const c1 = wt[w1 + j]!;
        const c2 = wt[w2 + j]!;
        const c3 = wt[w3 + j]!;
        a00 += v0 * c0;
        a01 += v0 * c1;
        a02 += v0 * c2;
        a03 += v0 * c3;
        a10 += v1 * c0;
        a11 += v1 * c1;
        a12 += v1 * c2;
        a13 += v1 * c3;
        a20 += v2 * c0;
        a21 += v2 * c1;
        a22 += v2 * c2;
        a23 += v2 * c3;
        a30 += v3 * c0;
        a31 += v3 * c1;
        a32 += v3 * c2;
        a33 += v3 * c3;
      }
      const b0 = b[o]!;
      const b1 = b[o + 1]!;
      const b2 = b[o + 2]!;
      const b3 = b[o + 3]!;
      let at = r * nOut + o;
      out[at] = a00 + b0;
      out[at + 1] = a01 + b1;
      out[at + 2] = a02 + b2;
      out[at + 3] = a03 + b3;
      at += nOut;
      out[at] = a10 + b0;
      out[at + 1] = a11 + b1;
      out[at + 2] = a12 + b2;
      out[at + 3] = a13 + b3;
      at += nOut;
      out[at] = a20 + b0;
      out[at + 1] = a21 + b1;
      out[at + 2] = a22 + b2;
      out[at + 3] = a23 + b3;
      at += nOut;
      out[at] = a30 + b0;
      out[at + 1] = a31 + b1;
      out[at + 2] = a32 + b2;
      out[at + 3] = a33 + b3;
    }
    for (let o = outs4; o < nOut; o++) {
      for (let i = 0; i < 4; i++) out[(r + i) * nOut + o] = dot(x, (r + i) * nIn, wt, o * nIn, nIn) + b[o]!;
    }
  }
  for (let r = rows4; r < rows; r++) {
    for (let o = 0; o < nOut; o++) out[r * nOut + o] = dot(x, r * nIn, wt, o * nIn, nIn) + b[o]!;
  }
}

function dot(x: Float64Array, xAt: number, w: Float64Array, wAt: number, n: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += x[xAt + j]! * w[wAt + j]!;
  return s;
}
