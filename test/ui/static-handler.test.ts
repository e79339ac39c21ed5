// The /ui/ static handler through a real `inferd serve`: the page with its CSP (import map by hash), vendor
// modules from node_modules, caching, no path escapes, and no collision with model routes or the control API.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { importMap } from '../../src/ui/static-handler.js';
import { curlPost, httpRequest, type Inferd, removeDir, startInferd, waitForCondition } from '../helpers/inferd.js';

let inferd: Inferd;

before(async () => {
  inferd = await startInferd({ args: ['--demo'] });
});

after(async () => {
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

test('GET /ui/ serves the page with a CSP that allows only this origin and the import map by its hash', async () => {
  const res = await fetch(`${inferd.url}/ui/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  const html = await res.text();
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /^default-src 'self'; /);
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const hash = createHash('sha256').update(importMap()).digest('base64');
  assert.ok(csp.includes(`'sha256-${hash}'`), 'the CSP names the import map by hash');
  assert.ok(html.includes(`<script type="importmap">${importMap()}</script>`));
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('set-cookie'), null, 'no cookie, ever');
});

test('/ui redirects to /ui/; app and vendor modules are JavaScript; 304 on a matching ETag; gzip', async () => {
  const r = await fetch(`${inferd.url}/ui`, { redirect: 'manual' });
  assert.equal(r.status, 308);
  assert.equal(r.headers.get('location'), '/ui/');
  for (const path of [
    'app/main.js',
    'app/metrics.js',
    'vendor/preact.mjs',
    'vendor/preact-hooks.mjs',
    'vendor/htm.mjs',
    'vendor/uplot.mjs',
    'vendor/yaml/index.js',
  ]) {
    const res = await fetch(`${inferd.url}/ui/${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), 'text/javascript; charset=utf-8', path);
    await res.arrayBuffer();
  }
  const css = await fetch(`${inferd.url}/ui/vendor/uplot.css`);
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  const first = await httpRequest({
    port: inferd.port,
    path: '/ui/vendor/uplot.mjs',
    method: 'GET',
    headers: { 'accept-encoding': 'gzip' },
  });
  assert.equal(first.headers['content-encoding'], 'gzip');
  const etag = String(first.headers.etag);
  const again = await httpRequest({
    port: inferd.port,
    path: '/ui/vendor/uplot.mjs',
    method: 'GET',
    headers: { 'if-none-match': etag },
  });
  assert.equal(again.status, 304);
});

test('paths outside the three roots are 404, writes are 405', async () => {
  for (const path of [
    '/ui/app/../../../package.json',
    '/ui/app/%2e%2e/%2e%2e/%2e%2e/package.json',
    '/ui/vendor/yaml/../../../../package.json',
    '/ui/vendor/yaml/%2e%2e/package.json',
    '/ui/vendor/nosuch.js',
    '/ui/app/main.d.ts',
    '/ui/app/%00.js',
    '/ui/%E0%A4%A',
  ]) {
    const res = await httpRequest({ port: inferd.port, path, method: 'GET' });
    assert.equal(res.status, 404, path);
  }
  const post = await httpRequest({ port: inferd.port, path: '/ui/', method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
});

test('model routes and the control API are untouched by /ui (a model named "ui" still answers)', async () => {
  await waitForCondition(inferd.url, 'default', 'sklearn-iris', 'True');
  const res = await curlPost(`${inferd.url}/v1/models/sklearn-iris:predict`, '{"instances":[[6.8,2.8,4.8,1.4]]}');
  assert.equal(res.text, '{"predictions":[1]}');
  const ui = await curlPost(`${inferd.url}/v1/models/ui:predict`, '{"instances":[[1,2,3,4]]}');
  assert.equal(ui.status, 404);
  assert.match(ui.text, /Model with name ui does not exist/);
  const api = await fetch(`${inferd.url}/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices`);
  assert.equal(api.status, 200);
  const uiHost = await httpRequest({
    port: inferd.port,
    path: '/ui/',
    method: 'GET',
    headers: { host: 'sklearn-iris.default.example.com' },
  });
  assert.equal(uiHost.status, 200, 'the app is served whatever the Host (its API calls are checked, not the files)');
});
