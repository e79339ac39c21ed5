// Locally an `image` alone names no program (docs/containers.md, "Images"). The image map says what runs for
// one: a YAML file of image name (or prefix ending in `/` or `*`) → `command`, `args`, `env`, `workingDir`,
// read from the state dir (`image-map.yaml`) and `inferd serve --image-map FILE` (later files win). It is the
// operator's configuration: never writable through the API. KServe's own model-server images map to inferd's
// runtimes built in; with `--container-engine docker|podman` an unmapped image runs in that engine instead.

import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { InferdError } from '../../errors.js';

export interface ImageEntry {
  command: string[];
  args?: string[];
  env?: Record<string, string>;
  workingDir?: string;
}

/** Program name for inferd's own model server (dist/src/server/main.js), resolved like `inferd`. */
export const INFERD_MODEL_SERVER = 'inferd-model-server';

/** KServe's images (config/runtimes) → inferd's runtime for the format; their args (`--model_name`, ...) pass through. */
export const BUILTIN_IMAGES: Readonly<Record<string, string>> = {
  'kserve/sklearnserver': 'sklearn',
  'kserve/xgbserver': 'xgboost',
  'kserve/lgbserver': 'lightgbm',
};

/** `repo/name:tag` or `repo/name@sha256:…` → `repo/name`; a `docker.io/` or `index.docker.io/` prefix dropped. */
export function imageName(image: string): string {
  let name = image.replace(/^(?:docker\.io|index\.docker\.io)\//, '');
  const at = name.indexOf('@');
  if (at >= 0) name = name.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) name = name.slice(0, colon);
  return name;
}

export class ImageMap {
  constructor(private readonly entries: ReadonlyMap<string, ImageEntry> = new Map()) {}

  /** The entry for `image`: exact (with tag), then by name, then the longest prefix; then the built-ins. */
  lookup(image: string): ImageEntry | undefined {
    const name = imageName(image);
    const exact = this.entries.get(image) ?? this.entries.get(name);
    if (exact) return exact;
    let best: [string, ImageEntry] | undefined;
    for (const [key, entry] of this.entries) {
      const prefix = key.endsWith('*') ? key.slice(0, -1) : key.endsWith('/') ? key : undefined;
      if (prefix === undefined || !(image.startsWith(prefix) || name.startsWith(prefix))) continue;
      if (!best || prefix.length > best[0].length) best = [prefix, entry];
    }
    if (best) return best[1];
    const format = BUILTIN_IMAGES[name];
    return format ? { command: [INFERD_MODEL_SERVER, '--model_format', format] } : undefined;
  }
}

/** Reads and merges image map files (a missing state-dir file is no map); INVALID_CONFIG naming the file and key. */
export function loadImageMap(files: readonly { path: string; optional: boolean }[]): ImageMap {
  const entries = new Map<string, ImageEntry>();
  for (const { path, optional } of files) {
    if (!existsSync(path)) {
      if (optional) continue;
      throw new InferdError('INVALID_CONFIG', `--image-map: ${path} does not exist`);
    }
    let doc: unknown;
    try {
      doc = parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new InferdError('INVALID_CONFIG', `image map ${path}: not YAML: ${(err as Error).message}`);
    }
    if (doc === null || doc === undefined) continue;
    const images = (doc as { images?: unknown }).images ?? doc;
    if (typeof images !== 'object' || images === null || Array.isArray(images)) {
      throw new InferdError(
        'INVALID_CONFIG',
        `image map ${path}: expected a mapping of image → {command, args, env, workingDir}`,
      );
    }
    for (const [image, raw] of Object.entries(images)) entries.set(image, entryOf(path, image, raw));
  }
  return new ImageMap(entries);
}

function entryOf(path: string, image: string, raw: unknown): ImageEntry {
  const bad = (what: string) => new InferdError('INVALID_CONFIG', `image map ${path}: ${image}: ${what}`);
  if (typeof raw !== 'object' || raw === null) throw bad('expected {command, args, env, workingDir}');
  const r = raw as Record<string, unknown>;
  const strings = (v: unknown, field: string): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(`${field} must be a list of strings`);
    return v as string[];
  };
  const command = strings(r.command, 'command');
  if (!command?.length) throw bad('command is required (the program to run for this image)');
  let env: Record<string, string> | undefined;
  if (r.env !== undefined) {
    // A mapping, or Kubernetes' list of {name, value}.
    const list = Array.isArray(r.env)
      ? (r.env as { name?: unknown; value?: unknown }[]).map((e) => [e?.name, e?.value])
      : typeof r.env === 'object' && r.env !== null
        ? Object.entries(r.env)
        : undefined;
    if (!list || !list.every(([k, v]) => typeof k === 'string' && ['string', 'number', 'boolean'].includes(typeof v))) {
      throw bad('env must map names to values');
    }
    env = Object.fromEntries(list.map(([k, v]) => [k as string, String(v)]));
  }
  const args = strings(r.args, 'args');
  if (r.workingDir !== undefined && typeof r.workingDir !== 'string') throw bad('workingDir must be a string');
  return {
    command,
    ...(args ? { args } : {}),
    ...(env ? { env } : {}),
    ...(typeof r.workingDir === 'string' ? { workingDir: r.workingDir } : {}),
  };
}
