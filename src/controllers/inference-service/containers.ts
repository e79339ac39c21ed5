// What a custom container of an InferenceService runs locally (docs/containers.md): the predictor's
// `containers[0]`, or the container of the ServingRuntime its model selected when that runtime names a
// `command` (a runtime inferd serves natively keeps running inferd's own model server). Pure: the spec, the
// model dir and the runtime in, a ContainerSpec out. KServe's conventions: `{{.Name}}`-style template
// values in command/args/env, `/mnt/models` (where KServe mounts the model) → the local model dir, env with
// `valueFrom.secretKeyRef` resolved when the process starts (so a Secret created later is picked up on the
// next restart).

import { limitsOf, threadEnvFor } from '../../api/limits.js';
import { inferdRuntimeFor, isBuiltinRuntime } from '../../api/serving-runtimes.js';
import type { Container, InferenceService, ServingRuntime } from '../../api/types.js';
import type { ContainerSpec, SecretEnv } from '../replicas/container-replica.js';
import type { ImageEntry } from '../replicas/image-map.js';

/** Where KServe mounts the model inside its containers. */
export const KSERVE_MODEL_MOUNT = '/mnt/models';

/** The container the predictor runs as a custom process, or undefined when inferd's model server serves it. */
export function predictorContainer(isvc: InferenceService, runtime: ServingRuntime | undefined): Container | undefined {
  const p = isvc.spec?.predictor;
  if (!p) return undefined;
  if (!p.model && p.containers?.length) return p.containers[0];
  const format = p.model?.modelFormat?.name;
  if (!runtime || !format || isBuiltinRuntime(runtime) || inferdRuntimeFor(runtime, format) !== undefined)
    return undefined;
  const c = runtime.spec?.containers?.[0];
  // A runtime container with only an image runs through the image map (or fails ImageNotRunnable saying so).
  return c?.command?.length || c?.image ? mergeModelFields(c, p.model as Container) : undefined;
}

/** KServe merges the model spec's container fields (args, env) over the runtime's container. */
function mergeModelFields(runtime: Container, model: Container): Container {
  const env = [...(runtime.env ?? [])];
  for (const e of model.env ?? []) {
    const i = env.findIndex((x) => x.name === e.name);
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  return {
    ...runtime,
    args: [...(runtime.args ?? []), ...(model.args ?? [])],
    env,
    ...(typeof model['workingDir'] === 'string' ? { workingDir: model['workingDir'] } : {}),
    // KServe: the model's resources override the runtime container's.
    ...(model.resources !== undefined ? { resources: model.resources } : {}),
  };
}

/** The STORAGE_URI env of a custom predictor container: KServe runs the storage initializer for it. */
export function containerStorageUri(isvc: InferenceService): string | undefined {
  const p = isvc.spec?.predictor;
  if (p?.model || !p?.containers?.length) return undefined;
  const v = p.containers[0]?.env?.find((e) => e.name === 'STORAGE_URI')?.value;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** KServe's template values over the InferenceService's metadata (`{{.Name}}`, `{{.Labels.x}}`, ...). */
export function substituteTemplate(text: string, isvc: InferenceService): string {
  const m = isvc.metadata;
  return text.replace(/\{\{\s*\.(\w+)(?:\.([\w./-]+))?\s*\}\}/g, (whole, field: string, key: string | undefined) => {
    if (field === 'Name' && key === undefined) return m.name;
    if (field === 'Namespace' && key === undefined) return m.namespace ?? 'default';
    if (field === 'Labels' && key !== undefined) return m.labels?.[key] ?? '';
    if (field === 'Annotations' && key !== undefined) return m.annotations?.[key] ?? '';
    return whole;
  });
}

/** `/mnt/models` → the local model dir, wherever it appears (args, env values). */
function substituteModelDir(text: string, modelDir: string): string {
  return modelDir ? text.split(KSERVE_MODEL_MOUNT).join(modelDir) : text;
}

/** How images without a command are run: the image map, and the container engine when enabled. */
export interface ImageResolver {
  lookup(image: string): ImageEntry | undefined;
  /** `inferd serve --container-engine`: runs unmapped images; undefined: they are ImageNotRunnable. */
  engine?: 'docker' | 'podman';
}

/** The ContainerSpec for `container` of `isvc`'s predictor, its model (when any) fetched to `modelDir`. */
export function containerSpecFor(
  isvc: InferenceService,
  given: Container,
  modelDir: string,
  images?: ImageResolver,
): ContainerSpec {
  // KServe's rule: the container's command replaces the image's entrypoint, its args the image's CMD.
  let container = given;
  let imageEnv: Record<string, string> = {};
  let engine: ContainerSpec['engine'];
  let problem: ContainerSpec['problem'];
  if (!given.command?.length) {
    const image = typeof given.image === 'string' ? given.image : undefined;
    const entry = image ? images?.lookup(image) : undefined;
    if (entry) {
      container = {
        ...given,
        command: entry.command,
        args: given.args ?? entry.args ?? [],
        ...(given['workingDir'] === undefined && entry.workingDir ? { workingDir: entry.workingDir } : {}),
      };
      imageEnv = entry.env ?? {};
    } else if (image && images?.engine) {
      engine = { program: images.engine, image, ...(modelDir ? { modelDir } : {}) };
    } else {
      problem = {
        reason: 'ImageNotRunnable',
        message: image
          ? `image ${image} names no program locally: map it to a command in the image map (image-map.yaml in the state folder, or inferd serve --image-map FILE), or let inferd run images in a container engine (inferd serve --container-engine docker|podman); docs/containers.md`
          : 'the container has neither command nor image: set command (docs/containers.md)',
      };
    }
  }
  // Inside an engine the model is mounted at /mnt/models as in KServe; locally the path is substituted.
  const dir = engine ? '' : modelDir;
  const sub = (s: string) => substituteModelDir(substituteTemplate(s, isvc), dir);
  // The thread settings native replicas get from resources.limits.cpu (OMP_NUM_THREADS, ...); any env wins.
  const env: Record<string, string> = threadEnvFor(limitsOf(given.resources));
  for (const [k, v] of Object.entries(imageEnv)) env[k] = sub(v);
  const secretEnv: SecretEnv[] = [];
  for (const e of container.env ?? []) {
    if (typeof e.value === 'string') env[e.name] = sub(e.value);
    else {
      const ref = secretKeyRefOf(e.valueFrom);
      if (ref) secretEnv.push({ env: e.name, secret: ref.name, key: ref.key, optional: ref.optional });
      else if (e.value === undefined && e.valueFrom === undefined) env[e.name] = '';
    }
  }
  const workingDir = container['workingDir'];
  return {
    component: 'predictor',
    argv: [...(container.command ?? []), ...(container.args ?? [])].map(sub),
    env,
    secretEnv,
    namespace: isvc.metadata.namespace ?? 'default',
    ...(typeof workingDir === 'string' && workingDir !== '' ? { workingDir: sub(workingDir) } : {}),
    flags: {},
    appendPortFlags: false,
    ...(engine ? { engine } : {}),
    ...(problem ? { problem } : {}),
  };
}

function secretKeyRefOf(valueFrom: unknown): { name: string; key: string; optional: boolean } | undefined {
  if (typeof valueFrom !== 'object' || valueFrom === null) return undefined;
  const ref = (valueFrom as { secretKeyRef?: { name?: unknown; key?: unknown; optional?: unknown } }).secretKeyRef;
  if (!ref || typeof ref.name !== 'string' || typeof ref.key !== 'string') return undefined;
  return { name: ref.name, key: ref.key, optional: ref.optional === true };
}
