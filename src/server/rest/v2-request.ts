// Shape checks for V2 request bodies, reported the way KServe 0.12.1 (FastAPI + pydantic 1) reports them:
// 422 `{"detail":[{"loc":["body","inputs",0,"datatype"],"msg":"field required","type":"value_error.missing"}]}`,
// every problem in field-declaration order. Values are checked later, by the tensor decoder.

export type Loc = (string | number)[];

/** One pydantic-1 error object; keys in pydantic's order. */
export interface PydanticError {
  loc: Loc;
  msg: string;
  type: string;
  ctx?: Record<string, unknown>;
}

export type Parameters = Record<string, string | number | boolean>;

export interface V2RequestInput {
  name: string;
  shape: number[];
  datatype: string;
  parameters: Parameters | null;
  /** null only in a binary-extension body, where the tensor's bytes follow the JSON header. */
  data: unknown[] | null;
}

export interface V2InferenceRequest {
  id: string | null;
  parameters: Parameters | null;
  inputs: V2RequestInput[];
  outputs: { name: string; parameters: Parameters | null }[] | null;
}

export interface V2GenerateRequest {
  text_input: string;
  parameters: Parameters | null;
}

/** Thrown with every problem found; the edge answers 422 `{"detail": errors}`. */
export class RequestValidationError extends Error {
  constructor(readonly errors: PydanticError[]) {
    super('request validation failed');
  }
}

const MISSING = (loc: Loc): PydanticError => ({ loc, msg: 'field required', type: 'value_error.missing' });
const NONE = (loc: Loc): PydanticError => ({
  loc,
  msg: 'none is not an allowed value',
  type: 'type_error.none.not_allowed',
});
const NOT = (loc: Loc, what: 'dict' | 'list' | 'integer'): PydanticError => ({
  loc,
  msg: `value is not a valid ${what}`,
  type: `type_error.${what}`,
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly errors: PydanticError[] = [];

  /** `str` under pydantic 1: numbers and booleans are coerced with Python's str(). */
  str(v: unknown, loc: Loc, optional: boolean): string | null {
    if (typeof v === 'string') return v;
    if (v === undefined || v === null) {
      if (!optional) this.errors.push(v === undefined ? MISSING(loc) : NONE(loc));
      return null;
    }
    if (typeof v === 'number') return String(v);
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    this.errors.push({ loc, msg: 'str type expected', type: 'type_error.str' });
    return null;
  }

  list(v: unknown, loc: Loc, optional: boolean): unknown[] | null {
    if (Array.isArray(v)) return v;
    if (v === undefined || v === null) {
      if (!optional) this.errors.push(v === undefined ? MISSING(loc) : NONE(loc));
    } else {
      this.errors.push(NOT(loc, 'list'));
    }
    return null;
  }

  /** `List[int]`. Stricter than pydantic 1, which truncates 2.5 to 2: a shape must hold integers. */
  shape(v: unknown, loc: Loc): number[] | null {
    const list = this.list(v, loc, false);
    if (!list) return null;
    let ok = true;
    for (let i = 0; i < list.length; i++) {
      const d = list[i];
      if (typeof d === 'number' && Number.isInteger(d)) continue;
      ok = false;
      this.errors.push(d === null ? NONE([...loc, i]) : NOT([...loc, i], 'integer'));
    }
    return ok ? (list as number[]) : null;
  }

  /** `Optional[Dict[str, Union[StrictFloat, StrictInt, StrictBool, str]]]`. */
  parameters(v: unknown, loc: Loc): Parameters | null {
    if (v === undefined || v === null) return null;
    if (!isObject(v)) {
      this.errors.push(NOT(loc, 'dict'));
      return null;
    }
    for (const k in v) {
      const p = v[k];
      const t = typeof p;
      if (t === 'string' || t === 'number' || t === 'boolean') continue;
      const at = [...loc, k];
      if (p === null) {
        this.errors.push(NONE(at));
        continue;
      }
      // pydantic 1 reports one error per member of the Union.
      this.errors.push(
        { loc: at, msg: 'value is not a valid float', type: 'type_error.float' },
        { loc: at, msg: 'value is not a valid integer', type: 'type_error.integer' },
        { loc: at, msg: 'value is not a valid boolean', type: 'type_error.bool' },
        { loc: at, msg: 'str type expected', type: 'type_error.str' },
      );
    }
    return v as Parameters;
  }

  /** The body itself must be an object; a JSON `null` or an empty body is "field required". */
  body(v: unknown): Record<string, unknown> | null {
    if (isObject(v)) return v;
    this.errors.push(v === undefined || v === null ? MISSING(['body']) : NOT(['body'], 'dict'));
    return null;
  }

  done<T>(value: T): T {
    if (this.errors.length > 0) throw new RequestValidationError(this.errors);
    return value;
  }
}

/**
 * Checks a parsed `POST /v2/models/{m}/infer` body; `undefined` stands for an empty body. With
 * `binary` (the JSON header of a binary-extension body) an input may leave out `data`.
 */
export function validateInferenceRequest(body: unknown, opts: { binary?: boolean } = {}): V2InferenceRequest {
  const c = new Checker();
  const obj = c.body(body);
  if (!obj) return c.done(null as never);
  const id = c.str(obj.id, ['body', 'id'], true);
  const parameters = c.parameters(obj.parameters, ['body', 'parameters']);
  const rawInputs = c.list(obj.inputs, ['body', 'inputs'], false);
  const inputs: V2RequestInput[] = [];
  if (rawInputs) {
    for (let i = 0; i < rawInputs.length; i++) {
      const loc: Loc = ['body', 'inputs', i];
      const raw = rawInputs[i];
      if (!isObject(raw)) {
        c.errors.push(raw === null ? NONE(loc) : NOT(loc, 'dict'));
        continue;
      }
      const name = c.str(raw.name, [...loc, 'name'], false);
      const shape = c.shape(raw.shape, [...loc, 'shape']);
      const datatype = c.str(raw.datatype, [...loc, 'datatype'], false);
      const params = c.parameters(raw.parameters, [...loc, 'parameters']);
      const data = c.list(raw.data, [...loc, 'data'], opts.binary === true);
      if (name !== null && shape && datatype !== null && (data || opts.binary)) {
        inputs.push({ name, shape, datatype, parameters: params, data });
      }
    }
  }
  let outputs: V2InferenceRequest['outputs'] = null;
  const rawOutputs = c.list(obj.outputs, ['body', 'outputs'], true);
  if (rawOutputs) {
    outputs = [];
    for (let i = 0; i < rawOutputs.length; i++) {
      const loc: Loc = ['body', 'outputs', i];
      const raw = rawOutputs[i];
      if (!isObject(raw)) {
        c.errors.push(raw === null ? NONE(loc) : NOT(loc, 'dict'));
        continue;
      }
      const name = c.str(raw.name, [...loc, 'name'], false);
      const params = c.parameters(raw.parameters, [...loc, 'parameters']);
      if (name !== null) outputs.push({ name, parameters: params });
    }
  }
  return c.done({ id, parameters, inputs, outputs });
}

/** Checks a `POST /v2/models/{m}/generate` body (KServe's GenerateRequest). */
export function validateGenerateRequest(body: unknown): V2GenerateRequest {
  const c = new Checker();
  const obj = c.body(body);
  if (!obj) return c.done(null as never);
  const text = c.str(obj.text_input, ['body', 'text_input'], false);
  const parameters = c.parameters(obj.parameters, ['body', 'parameters']);
  return c.done({ text_input: text ?? '', parameters });
}
