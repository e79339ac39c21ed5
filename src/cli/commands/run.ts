// `inferd run ./my-model.js [--model_name NAME] [KServe flags]`: serves the Model a user's file exports, without
// a manifest, with the SDK's ModelServer. It imports the user's own file as the user (their code, their
// machine); nothing here lets a remote caller name a file. Stays up until SIGTERM/SIGINT, then stops gracefully.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InferdError, messageOf } from '../../errors.js';
import { createLogger } from '../../log.js';
import type { Model } from '../../sdk/model.js';
import { ModelServer } from '../../sdk/model-server.js';
import { isSdkModel, type SdkModel } from '../../sdk/served-model.js';
import { parseSdkServerArgs, SDK_SERVER_USAGE, type SdkServerConfig } from '../../sdk/server-args.js';
import { stopOnSignals } from '../../server/graceful-stop.js';
import type { CliIo } from '../io.js';

export const RUN_USAGE = `Usage: inferd run FILE.js [flags]

Serves the model FILE exports (docs/sdk.md). FILE's default export (or its export named "model") is one of:
  a Model subclass      constructed as new C(--model_name, {predictorHost, protocol, ...})
  a Model instance      served as it is (--model_name renames it)
  a function            called with the parsed flags; returns a Model, or an array of them (may be async)

${SDK_SERVER_USAGE}`;

type ModelClass = new (name: string, predictor?: ConstructorParameters<typeof Model>[1]) => SdkModel;

function isModelClass(v: unknown): v is ModelClass {
  if (typeof v !== 'function' || !v.prototype) return false;
  const p = v.prototype as Record<string, unknown>;
  return typeof p.predict === 'function' && typeof p.load === 'function';
}

function predictorOf(c: SdkServerConfig) {
  if (!c.predictorHost) return undefined;
  return {
    predictorHost: c.predictorHost,
    protocol: c.protocol,
    useSsl: c.predictorUseSsl,
    ...(c.predictorTimeoutMs !== undefined ? { timeoutMs: c.predictorTimeoutMs } : {}),
  };
}

/** The models a module exports, configured from the flags. Throws INVALID_CONFIG saying what to export. */
export async function modelsFromModule(
  mod: Record<string, unknown>,
  c: SdkServerConfig,
  file: string,
): Promise<SdkModel[]> {
  const exported = mod.default ?? mod.model;
  if (exported === undefined) {
    throw new InferdError(
      'INVALID_CONFIG',
      `${file} exports no model: export default a Model subclass, a Model instance, or a function that returns one (docs/sdk.md)`,
    );
  }
  let found: unknown;
  if (isModelClass(exported)) found = new exported(c.modelName || 'model', predictorOf(c));
  else if (typeof exported === 'function') found = await (exported as (c: SdkServerConfig) => unknown)(c);
  else found = exported;
  const list = Array.isArray(found) ? found : [found];
  if (list.length === 0 || !list.every(isSdkModel)) {
    throw new InferdError(
      'INVALID_CONFIG',
      `${file}'s export is not a Model (it needs name, load, preprocess, predict, postprocess and explain: extend Model from 'inferd')`,
    );
  }
  const models = list as SdkModel[];
  for (const m of models) {
    if (c.modelName && models.length === 1) m.name = c.modelName;
    // Flags configure an instance that has no predictor of its own (KServe passes --predictor_host to it).
    const p = predictorOf(c);
    const mm = m as Partial<Model>;
    if (p && 'predictorHost' in mm && !mm.predictorHost) {
      mm.predictorHost = p.predictorHost;
      mm.protocol = p.protocol;
      mm.useSsl = p.useSsl;
      mm.timeoutMs = p.timeoutMs;
    }
  }
  return models;
}

/** `inferd run`; resolves to an exit code on failure, undefined while it serves. */
export async function runRun(argv: readonly string[], io: CliIo): Promise<number | undefined> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(RUN_USAGE);
    return 0;
  }
  // Every flag takes one value (`--http_port 0` or `--http_port=0`), so the one other word is the file.
  const positionals: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-')) positionals.push(a);
    else if (a.includes('=') || i + 1 >= argv.length) flags.push(a);
    else flags.push(a, argv[++i]!);
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    io.stderr.write(
      `error: inferd run needs one FILE.js${file ? `, got ${positionals.join(' ')}` : ''}\n\n${RUN_USAGE}`,
    );
    return 2;
  }
  const log = createLogger({ base: { component: 'inferd-run' } });
  let config: Readonly<SdkServerConfig>;
  try {
    config = parseSdkServerArgs(flags, io.env);
  } catch (err) {
    io.stderr.write(`error: ${messageOf(err)}\n`);
    return 2;
  }
  const path = resolve(file);
  if (!existsSync(path)) {
    io.stderr.write(`error: ${file}: no such file\n`);
    return 2;
  }
  let server: ModelServer;
  try {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (err) {
      const hint = path.endsWith('.ts') ? ' (compile it to .js first: npx tsc; docs/sdk.md)' : '';
      throw new InferdError('INVALID_CONFIG', `cannot import ${file}: ${messageOf(err)}${hint}`, { cause: err });
    }
    const models = await modelsFromModule(mod, config, file);
    server = ModelServer.fromArgs(flags, io.env, { log });
    await server.start(models);
  } catch (err) {
    io.stderr.write(`error: ${messageOf(err)}\n`);
    return err instanceof InferdError && err.code === 'INVALID_CONFIG' ? 2 : 1;
  }
  stopOnSignals({
    log,
    stoppingMessage: 'model server stopping',
    close: (graceMs) => server.stop(graceMs),
    closeFailedMessage: 'model unload failed',
  });
  return undefined;
}
