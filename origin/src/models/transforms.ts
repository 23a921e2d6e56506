/**
 * The output transforms the libraries apply in `predict()` on top of raw
 * margins. Each runs over a whole batch in place-free loops; `float32` mimics
 * XGBoost, which computes and returns predictions in single precision.
 */
export type Transform =
  | { kind: "identity" }
  /** `1 / (1 + exp(-scale · x))` per output (binary, multiclass one-vs-all). */
  | { kind: "sigmoid"; scale: number }
  | { kind: "softmax" }
  /** XGBoost `multi:softmax`: the index of the largest margin. */
  | { kind: "argmax" }
  | { kind: "exp" }
  /** XGBoost `binary:hinge`: 1 if the margin is positive, else 0. */
  | { kind: "hinge" }
  /** LightGBM `cross_entropy_lambda`: `log(1 + exp(x))`. */
  | { kind: "log1pExp" }
  /** LightGBM regression trained with `reg_sqrt`: `sign(x) · x²`. */
  | { kind: "signedSquare" };

/** Values per row a transform produces from `width` raw margins. */
export function transformWidth(transform: Transform, width: number): number {
  return transform.kind === "argmax" ? 1 : width;
}

/**
 * Writes `transform(raw)` for `rows` rows of `width` margins into `out`
 * (`rows * transformWidth(...)` values). `raw` and `out` may be the same array
 * unless the transform is `argmax`.
 */
export function applyTransform(
  transform: Transform,
  raw: Float64Array,
  rows: number,
  width: number,
  out: Float64Array,
  float32: boolean,
): void {
  const n = rows * width;
  const round = float32 ? Math.fround : identity;
  switch (transform.kind) {
    case "identity":
      if (out !== raw) out.set(raw.subarray(0, n));
      return;
    case "sigmoid": {
      const k = transform.scale;
      for (let i = 0; i < n; i++) out[i] = round(1 / (1 + Math.exp(-k * (raw[i] as number))));
      return;
    }
    case "exp":
      for (let i = 0; i < n; i++) out[i] = round(Math.exp(raw[i] as number));
      return;
    case "hinge":
      for (let i = 0; i < n; i++) out[i] = (raw[i] as number) > 0 ? 1 : 0;
      return;
    case "log1pExp":
      for (let i = 0; i < n; i++) out[i] = round(Math.log1p(Math.exp(raw[i] as number)));
      return;
    case "signedSquare":
      for (let i = 0; i < n; i++) {
        const x = raw[i] as number;
        out[i] = round(Math.sign(x) * x * x);
      }
      return;
    case "softmax":
      for (let r = 0; r < rows; r++) softmaxRow(raw, out, r * width, width, round);
      return;
    case "argmax":
      for (let r = 0; r < rows; r++) {
        let best = 0;
        let bestValue = raw[r * width] as number;
        for (let k = 1; k < width; k++) {
          const v = raw[r * width + k] as number;
          if (v > bestValue) {
            bestValue = v;
            best = k;
          }
        }
        out[r] = best;
      }
      return;
  }
}

function softmaxRow(
  raw: Float64Array,
  out: Float64Array,
  start: number,
  width: number,
  round: (x: number) => number,
): void {
  // Subtract the largest margin first, as both libraries do, so exp never overflows.
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < width; k++) max = Math.max(max, raw[start + k] as number);
  let sum = 0;
  for (let k = 0; k < width; k++) {
    const e = Math.exp((raw[start + k] as number) - max);
    out[start + k] = e;
    sum += e;
  }
  for (let k = 0; k < width; k++) out[start + k] = round((out[start + k] as number) / sum);
}

function identity(x: number): number {
  return x;
}
