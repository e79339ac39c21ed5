// The graph router: KServe 0.12.1's cmd/router/main.go (routeStep and its helpers) in TypeScript, answer for
// answer — Sequence, Switch, Ensemble, Splitter, nested nodes, Soft/Hard dependencies, the same status codes
// and bodies. It calls no network itself: `call` (step-client.ts) reaches a step's target, so this file is
// tested with plain functions (test/graph/router.test.ts ports cmd/router/main_test.go).
// Deliberate differences are options, documented in docs/graphs.md and docs/compatibility.md.

import type { InferenceGraphSpec, InferenceStep } from '../api/inference-graph.js';
import { ROOT_NODE } from '../api/inference-graph.js';
import { gjsonExists } from './gjson.js';
import { goMarshal, goUnmarshalObject } from './go-json.js';

/** What a step (or node) answered: status and body bytes. */
export interface StepAnswer {
  status: number;
  body: Buffer;
}

/** A step that could not be answered at all (Go's `err` beside the status): the cause in the graph's error body. */
export class StepFailure extends Error {
  constructor(
    message: string,
    /** The status the graph answers with when this reaches the top (KServe: 500, or 404 for a Switch miss). */
    readonly status = 500,
    /** Kept as it is through the nodes above (a client's bad body stays 400 instead of becoming 500). */
    readonly sticky = false,
  ) {
    super(message);
  }
}

/** KServe's wrapping: a nested failure becomes a 500 with the same cause, unless it is sticky. */
function rewrap(err: unknown): StepFailure {
  if (err instanceof StepFailure && err.sticky) return err;
  return new StepFailure(err instanceof Error ? err.message : String(err));
}

/** Where a step points: a service of the graph's namespace by name, or a URL. */
export interface StepRef {
  node: string;
  index: number;
  step: InferenceStep;
}

export interface StepObserver {
  /** One step's call ended: its status (undefined: failed without one), how long it took. */
  stepDone?(ref: StepRef, status: number | undefined, ms: number, error?: string): void;
}

export interface RouterOptions extends StepObserver {
  spec: InferenceGraphSpec;
  /** Calls a serviceName/serviceUrl step with `body`; throws StepFailure (or any error) when no answer came. */
  call(ref: StepRef, body: Buffer, signal: AbortSignal): Promise<StepAnswer>;
  /** [0,1) — Splitter's draw (Math.random by default). */
  random?: () => number;
  /** Status when a Sequence step's condition does not match: 500 (KServe 0.12.1, default) or 200 (0.15+). */
  sequenceConditionMissStatus?: 500 | 200;
  now?: () => number;
}

export const NOT_JSON = 'the request body is not valid JSON, so the Switch conditions cannot be evaluated';
export const SWITCH_NO_MATCH = 'None of the routes matched with the switch condition';

/** The graph's HTTP answer (graphHandler): status, body and content type. */
export interface GraphAnswer {
  status: number;
  body: Buffer;
  contentType: string;
}

/** graphHandler: runs the root node on the request body and shapes the answer as KServe's router does. */
export async function runGraph(opts: RouterOptions, input: Buffer, signal: AbortSignal): Promise<GraphAnswer> {
  try {
    const out = await routeNode(opts, ROOT_NODE, input, signal);
    return {
      status: out.status,
      body: out.body,
      contentType: isJson(out.body) ? 'application/json' : 'text/plain; charset=utf-8',
    };
  } catch (err) {
    return errorAnswer(err instanceof StepFailure ? err.status : 500, err instanceof Error ? err.message : String(err));
  }
}

/** prepareErrorResponse: `{"error":"Failed to process request","cause":"..."}` (Go's field order). */
export function errorAnswer(status: number, cause: string): GraphAnswer {
  return {
    status,
    body: Buffer.from(`{"error":"Failed to process request","cause":${goMarshal(cause)}}`),
    contentType: 'application/json',
  };
}

function isJson(body: Buffer): boolean {
  if (body.length === 0) return false;
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

const nowMs = () => performance.now();
const isSuccessful = (status: number) => status >= 200 && status <= 299;

/** gjson.ValidBytes + parse: undefined when the bytes are not one JSON value. */
function parseJson(bytes: Buffer | undefined): { value: unknown } | undefined {
  if (bytes === undefined || bytes.length === 0) return undefined;
  try {
    return { value: JSON.parse(bytes.toString('utf8')) };
  } catch {
    return undefined;
  }
}

async function executeStep(opts: RouterOptions, ref: StepRef, input: Buffer, signal: AbortSignal): Promise<StepAnswer> {
  if (ref.step.nodeName) return routeNode(opts, ref.step.nodeName, input, signal);
  const now = opts.now ?? nowMs;
  const started = now();
  try {
    const answer = await opts.call(ref, input, signal);
    opts.stepDone?.(ref, answer.status, now() - started);
    return answer;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    opts.stepDone?.(ref, undefined, now() - started, message);
    throw rewrap(err);
  }
}

/** routeStep */
export async function routeNode(
  opts: RouterOptions,
  nodeName: string,
  input: Buffer,
  signal: AbortSignal,
): Promise<StepAnswer> {
  const node = opts.spec.nodes[nodeName];
  if (node === undefined) throw new StepFailure(`invalid route type: `);
  const steps = node.steps ?? [];
  const ref = (index: number): StepRef => ({ node: nodeName, index, step: steps[index]! });
  switch (node.routerType) {
    case 'Splitter': {
      // pickupRoute: rand.Intn(99) draws 0..98 (so a last route of weight 1 is never picked: KServe's own).
      const point = Math.floor((opts.random ?? Math.random)() * 99);
      let end = 0;
      const i = steps.findIndex((s) => {
        end += s.weight ?? 0;
        return point < end;
      });
      if (i < 0) throw new StepFailure('no route picked: the weights of the Splitter do not add up to 100');
      return oneStep(opts, ref(i), input, signal);
    }
    case 'Switch': {
      const doc = parseJson(input);
      // KServe 0.12.1 answers a body that is not JSON with the no-match 404; inferd says what is wrong, 400
      // (docs/compatibility.md).
      if (doc === undefined) throw new StepFailure(NOT_JSON, 400, true);
      const i = steps.findIndex((s) => gjsonExists(doc.value, s.condition ?? ''));
      if (i < 0) throw new StepFailure(SWITCH_NO_MATCH, 404);
      return oneStep(opts, ref(i), input, signal);
    }
    case 'Ensemble':
      return ensemble(opts, steps, ref, input, signal);
    case 'Sequence':
      return sequence(opts, steps, ref, input, signal);
    default:
      throw new StepFailure(`invalid route type: ${String(node.routerType)}`);
  }
}

/** handleSplitterORSwitchNode: the picked step's answer; its own failure becomes a 500 (KServe). */
async function oneStep(opts: RouterOptions, ref: StepRef, input: Buffer, signal: AbortSignal): Promise<StepAnswer> {
  try {
    return await executeStep(opts, ref, input, signal);
  } catch (err) {
    throw rewrap(err);
  }
}

async function sequence(
  opts: RouterOptions,
  steps: readonly InferenceStep[],
  ref: (i: number) => StepRef,
  input: Buffer,
  signal: AbortSignal,
): Promise<StepAnswer> {
  let response: Buffer | undefined;
  let status = 0;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const request = step.data === '$response' && i > 0 ? (response ?? Buffer.alloc(0)) : input;
    if (step.condition) {
      const doc = parseJson(response);
      if (doc === undefined) throw new StepFailure('invalid response');
      // The condition reads the previous step's answer; no match stops the sequence with that answer.
      if (!gjsonExists(doc.value, step.condition)) {
        return { status: opts.sequenceConditionMissStatus ?? 500, body: response! };
      }
    }
    let answer: StepAnswer;
    try {
      answer = await executeStep(opts, ref(i), request, signal);
    } catch (err) {
      throw rewrap(err);
    }
    response = answer.body;
    status = answer.status;
    if (step.dependency === 'Hard' && !isSuccessful(status)) return answer;
  }
  return { status, body: response ?? Buffer.alloc(0) };
}

async function ensemble(
  opts: RouterOptions,
  steps: readonly InferenceStep[],
  ref: (i: number) => StepRef,
  input: Buffer,
  signal: AbortSignal,
): Promise<StepAnswer> {
  // All steps at once; a failure of one cancels the others (their answers would be thrown away).
  const local = new AbortController();
  const onAbort = () => local.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const runs = steps.map((_, i) =>
    executeStep(opts, ref(i), input, local.signal).then(
      (a) => {
        const parsed = goUnmarshalObject(a.body);
        if (!parsed.ok) throw new StepFailure(parsed.error);
        return { status: a.status, value: parsed.value };
      },
      (err: unknown) => {
        throw rewrap(err);
      },
    ),
  );
  try {
    const merged: Record<string, unknown> = {};
    for (let i = 0; i < runs.length; i++) {
      const out = await runs[i]!;
      const step = steps[i]!;
      if (!isSuccessful(out.status) && step.dependency === 'Hard') {
        // The first failing Hard step (in step order) decides the ensemble's answer.
        return { status: out.status, body: Buffer.from(goMarshal(out.value)) };
      }
      merged[step.name ? step.name : String(i)] = out.value;
    }
    return { status: 200, body: Buffer.from(goMarshal(merged)) };
  } finally {
    signal.removeEventListener('abort', onAbort);
    local.abort();
    // Answers nobody waits for any more must not surface as unhandled rejections.
    for (const r of runs) r.catch(() => {});
  }
}
