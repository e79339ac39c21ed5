// `inferd run FILE.js`: what a module may export (a Model subclass, an instance, a factory, an array) and how the
// flags configure it; the help text. Serving itself is covered by test/examples/sdk-examples.test.ts.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { modelsFromModule, RUN_USAGE } from '../../src/cli/commands/run.js';
import { Model, parseSdkServerArgs, type SdkServerConfig } from '../../src/index.js';
import { cliEntry } from '../helpers/inferd.js';

class Echo extends Model {}

const flags = (argv: string[]) => parseSdkServerArgs(argv);

test('a Model subclass is constructed with --model_name (default "model") and the predictor flags', async () => {
  const [m] = (await modelsFromModule(
    { default: Echo },
    flags(['--model_name', 'iris', '--predictor_host', 'p:80', '--protocol', 'v2']),
    'f.js',
  )) as Model[];
  assert.ok(m instanceof Echo);
  assert.equal(m.name, 'iris');
  assert.equal(m.predictorHost, 'p:80');
  assert.equal(m.protocol, 'v2');
  const [d] = (await modelsFromModule({ default: Echo }, flags([]), 'f.js')) as Model[];
  assert.equal(d!.name, 'model');
  assert.equal(d!.predictorHost, null);
});

test('an instance is served as it is: --model_name renames it, --predictor_host fills an unset predictor only', async () => {
  const own = new Echo('own', { predictorHost: 'mine:1' });
  const [m] = (await modelsFromModule(
    { model: own },
    flags(['--model_name', 'renamed', '--predictor_host', 'flag:2']),
    'f.js',
  )) as Model[];
  assert.equal(m, own);
  assert.equal(m!.name, 'renamed');
  assert.equal(m!.predictorHost, 'mine:1');
  const bare = new Echo('bare');
  await modelsFromModule({ default: bare }, flags(['--predictor_host', 'flag:2']), 'f.js');
  assert.equal(bare.predictorHost, 'flag:2');
});

test('a factory gets the parsed flags and may return several models (names kept)', async () => {
  let seen: SdkServerConfig | undefined;
  const models = await modelsFromModule(
    {
      default: async (c: SdkServerConfig) => {
        seen = c;
        return [new Echo('a'), new Echo('b')];
      },
    },
    flags(['--model_dir', '/models/x', '--model_name', 'ignored-for-two']),
    'f.js',
  );
  assert.equal(seen?.modelDir, '/models/x');
  assert.deepEqual(
    models.map((m) => m.name),
    ['a', 'b'],
  );
});

test('BAD CALL - an export that is not a Model names what a Model needs', async () => {
  await assert.rejects(modelsFromModule({ default: { name: 'x' } }, flags([]), 'f.js'), {
    code: 'INVALID_CONFIG',
    message: /f\.js's export is not a Model \(it needs name, load, preprocess, predict, postprocess and explain/,
  });
  await assert.rejects(modelsFromModule({ default: () => [] }, flags([]), 'f.js'), { code: 'INVALID_CONFIG' });
});

test('inferd run --help prints the export forms and the KServe flags; inferd --help lists run', async () => {
  const exec = promisify(execFile);
  const { stdout } = await exec(process.execPath, [cliEntry, 'run', '--help']);
  assert.equal(stdout, RUN_USAGE);
  assert.match(stdout, /--predictor_host H:P/);
  const main = await exec(process.execPath, [cliEntry, '--help']);
  assert.match(main.stdout, /\n {2}run +Serve the TypeScript model a file exports/);
});
