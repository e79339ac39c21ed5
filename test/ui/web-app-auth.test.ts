// The web app with `inferd serve --auth`: sign in with a token (sessionStorage, Bearer, no cookie), see only
// the namespaces the token may read; manifest fields are shown as text, never as HTML (no injection).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type Inferd, removeDir, runCli, startInferd } from '../helpers/inferd.js';
import { collectProblems, launchChromium, screenshot } from './browser.js';

// biome-ignore lint/suspicious/noExplicitAny: the browser's globals, in page-side functions
declare const document: any;
// biome-ignore lint/suspicious/noExplicitAny: as above
declare const window: any;

const PAYLOAD = '<img src=x onerror="window.__xss=1">';
let inferd: Inferd;
let browser: Browser | undefined;
let admin: string;
let editor: string;

async function createToken(namespace: string, role: string, name: string): Promise<string> {
  const r = await runCli([
    'token',
    'create',
    '--state',
    inferd.stateDir,
    '-n',
    namespace,
    '--role',
    role,
    '--name',
    name,
  ]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split(/\s+/).at(-1)!;
}

async function createService(namespace: string, name: string, storageUri: string): Promise<void> {
  const res = await fetch(`${inferd.url}/apis/serving.kserve.io/v1beta1/namespaces/${namespace}/inferenceservices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name, namespace, annotations: { note: PAYLOAD } },
      spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri } } },
    }),
  });
  assert.equal(res.status, 201, await res.text());
}

before(async () => {
  inferd = await startInferd({ args: ['--auth'] });
  admin = await createToken('default', 'admin', 'ui-admin');
  editor = await createToken('team-a', 'editor', 'ui-team-a');
  await createService('team-a', 'visible', `file:///nonexistent/${PAYLOAD}/model.joblib`);
  await createService('team-b', 'hidden', 'file:///nonexistent/b/model.joblib');
});

after(async () => {
  await browser?.close();
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
});

test('sign in with a token; only the token namespace is visible; fields render as text; no cookies', async (t) => {
  browser = await launchChromium(t);
  if (!browser) return;
  const context = await browser.newContext({ viewport: { width: 1360, height: 800 } });
  const page = await context.newPage();
  const problems = collectProblems(page);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });

  await page.goto(`${inferd.url}/ui/#/ns/team-a`);
  await page.waitForSelector('#sign-in', { timeout: 10_000 });
  assert.match((await page.textContent('#sign-in')) ?? '', /authentication required/);
  // Another call's 401 arriving after the namespaces call's (the order varies under load): still a first
  // visit, not a rejected token.
  // (Preact renders state changes in a microtask: one macrotask turn later the page shows the outcome.)
  await page.evaluate(
    "dispatchEvent(new Event('inferd-unauthorized')); new Promise((resolve) => setTimeout(resolve, 0))",
  );
  assert.match((await page.textContent('#sign-in')) ?? '', /authentication required/);
  assert.doesNotMatch((await page.textContent('#sign-in')) ?? '', /did not accept the token/);
  await screenshot(page, 'auth-01-sign-in');

  await page.fill('#token', 'inferd_wrong');
  await page.click('#sign-in-button');
  await page.waitForSelector('#sign-in [role="alert"]');

  await page.fill('#token', editor);
  await page.click('#sign-in-button');
  await page.waitForSelector('tr[data-name="visible"]', { timeout: 10_000 });
  const row = (await page.textContent('tr[data-name="visible"]')) ?? '';
  assert.ok(row.includes(PAYLOAD), 'the storage URI is shown as the text it is');
  assert.equal(await page.$('#services img'), null, 'no element was made from a manifest field');
  await screenshot(page, 'auth-02-team-a');

  // The detail page's YAML shows the annotation as text too.
  await page.click('tr[data-name="visible"] a');
  await page.click('#tab-yaml');
  await page.waitForFunction(
    () => (document.querySelector('#manifest')?.textContent ?? '').includes('note:'),
    undefined,
    {
      timeout: 10_000,
    },
  );
  assert.ok(((await page.textContent('#manifest')) ?? '').includes(PAYLOAD));
  assert.equal(await page.$('#manifest img'), null);

  // Another namespace: the API refuses (403) and the app says so; nothing of team-b is shown.
  await page.goto(`${inferd.url}/ui/#/ns/team-b`);
  await page.waitForSelector('[role="alert"]', { timeout: 10_000 });
  assert.match((await page.textContent('[role="alert"]')) ?? '', /forbidden/i);
  assert.equal(await page.$('tr[data-name="hidden"]'), null);
  await screenshot(page, 'auth-03-team-b-forbidden');

  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no injected script ran');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(await context.cookies(), [], 'no cookie is ever set');
  assert.equal(await page.evaluate(() => window.sessionStorage.getItem('inferd.token')), editor);
  // The refusals this test provokes: no token yet, the wrong token, team-b's list.
  const unexpected = problems.filter((p) => !/^(401|403) \/apis?(\/|$)/.test(p));
  assert.deepEqual(unexpected, []);
});
