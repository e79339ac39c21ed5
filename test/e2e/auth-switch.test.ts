// `inferd serve`'s auth switch on a real process: a network address turns auth on by itself; serving it open
// takes --insecure-allow-anonymous and prints a warning line; loopback with no flag stays open.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpRequest, removeDir, startInferd } from '../helpers/inferd.js';

const LIST = '/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices';

for (const [args, authOn, warned] of [
  [['--host', '0.0.0.0'], true, false],
  [['--host', '0.0.0.0', '--insecure-allow-anonymous'], false, true],
  [[], false, false],
] as const) {
  test(`serve ${args.join(' ') || '(loopback, no flag)'}: auth ${authOn ? 'on' : 'off'}${warned ? ', with a warning' : ''}`, async (t) => {
    const s = await startInferd({ args: [...args, '--standby-replicas', '0'] });
    t.after(async () => {
      await s.stop();
      removeDir(s.stateDir);
    });
    const list = await httpRequest({ port: s.port, path: LIST });
    assert.equal(list.status, authOn ? 401 : 200, list.text);
    if (authOn) assert.equal(list.headers['www-authenticate'], 'Bearer realm="inferd"');
    assert.equal((await httpRequest({ port: s.port, path: '/healthz' })).status, 200);
    assert.equal(/auth: on/.test(s.output()), authOn);
    assert.equal(/warning: --insecure-allow-anonymous: 0\.0\.0\.0:\d+ is open to the network/.test(s.output()), warned);
  });
}
