// Issue 15 item 5: KServe's own `custom_model` (python/custom_model/model.py of ../shared/peers/kserve-v0.12.1,
// unmodified: an AlexNet from torchvision with `pretrained=True`) through the image map as a custom predictor.
// Its code and dependencies run on Debian's python3 (python3-torchvision, python3-pil, KServe's server deps),
// but its load() downloads the weights from download.pytorch.org: without network access (CI, this machine)
// the program exits before it opens its port, and the service says so — Ready=False, ContainerExited, the
// program's last lines (torchvision's download URL error) in the status and in `inferd describe`. With the
// weights in TORCH_HOME (set in the image map) the same manifest would serve.

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { InferenceService } from '../../src/api/types.js';
import { httpRequest, type Inferd, removeDir, runCli, startInferd, tempStateDir } from '../helpers/inferd.js';
import { KSERVE, kservePythonEnv, kservePythonMissing, PYTHON } from '../helpers/kserve-python.js';

const MODEL_DIR = join(KSERVE, 'python', 'custom_model');
const ISVC = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';

function missing(): string | undefined {
  if (!existsSync(join(MODEL_DIR, 'model.py'))) return `KServe's sources are not at ${MODEL_DIR}`;
  return kservePythonMissing(['PIL', 'torchvision', 'torch', 'numpy']);
}

const why = missing();
let inferd: Inferd | undefined;

before(async () => {
  if (why) return;
  const stateDir = tempStateDir('inferd-kserve-custom-model-');
  writeFileSync(
    join(stateDir, 'image-map.yaml'),
    JSON.stringify({
      images: {
        'kserve/custom-model': {
          command: [PYTHON, 'model.py'],
          workingDir: MODEL_DIR,
          // An empty weights cache: the download is attempted (and fails without network).
          env: { ...kservePythonEnv(stateDir), TORCH_HOME: join(stateDir, 'torch') },
        },
      },
    }),
  );
  inferd = await startInferd({ stateDir });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

test('KServe custom_model runs unmodified; its weights download failing shows as Ready=False with its last lines', async (t) => {
  if (why) {
    assert.notEqual(process.env.CI, 'true', `${why} under CI=true`);
    t.skip(why);
    return;
  }
  // As KServe's docs write it (docs/samples/v1beta1/custom/custom_model): the image and the model name.
  const r = await httpRequest({
    port: inferd!.port,
    path: ISVC,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'custom-model' },
      spec: {
        predictor: {
          containers: [
            { name: 'kserve-container', image: 'kserve/custom-model:v1', args: ['--model_name=custom-model'] },
          ],
        },
      },
    }),
  });
  assert.equal(r.status, 201, r.text);
  const deadline = Date.now() + 90_000;
  let last: InferenceService | undefined;
  let ready: { status?: string; reason?: string; message?: string } | undefined;
  while (Date.now() < deadline) {
    last = JSON.parse((await httpRequest({ port: inferd!.port, path: `${ISVC}/custom-model` })).text);
    ready = last?.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status === 'False' && /ContainerExited|ContainerCrashed/.test(ready.reason ?? '')) break;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  assert.equal(ready?.status, 'False', JSON.stringify(last?.status));
  assert.equal(ready?.reason, 'ContainerExited');
  // The program's own last lines: torchvision tried to fetch the pretrained weights.
  assert.match(ready?.message ?? '', /URLError|urlopen error|download/i, ready?.message);
  const described = await runCli(['describe', 'isvc', 'custom-model', '--server', inferd!.url]);
  assert.match(described.stdout, /ContainerExited/);
  const logs = await runCli(['logs', 'custom-model', '--server', inferd!.url]);
  assert.match(logs.stdout, /alexnet|load_state_dict_from_url|download_url_to_file/i, 'the traceback is in the log');
});
