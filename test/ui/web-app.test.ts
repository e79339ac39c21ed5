// Issue 18's browser acceptance: a real `inferd serve` and Debian's chromium. List → create from YAML (the
// iris manifest) → model status and Ready → try a prediction ([1,1]) → the request-rate chart moves → logs and
// YAML → delete; a YAML with an error shows the field path. Screenshots in test-output/ui/.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Inferd, removeDir, startInferd } from '../helpers/inferd.js';
import { repoRoot } from '../helpers/paths.js';
import { collectProblems, launchChromium, screenshot } from './browser.js';

const IRIS = '{"instances":[[6.8,2.8,4.8,1.4],[6.0,3.4,4.5,1.6]]}';
const IRIS_YAML = readFileSync(join(repoRoot, 'examples', 'sklearn-iris.yaml'), 'utf8');
let inferd: Inferd;
let browser: Browser | undefined;

before(async () => {
  inferd = await startInferd();
});

after(async () => {
  await browser?.close();
  await inferd?.stop();
  if (inferd) removeDir(inferd.stateDir);
  modelServer?.closeAllConnections();
  await new Promise<void>((resolve) => (modelServer ? modelServer.close(() => resolve()) : resolve()));
});

let modelServer: Server | undefined;

// Page-side code below runs in the browser (the test's tsconfig has no DOM lib).
// biome-ignore lint/suspicious/noExplicitAny: the browser's document, typed loosely here
declare const document: any;

/** Bounded wait until the text of `selector` matches (polled by playwright in the page, never a fixed sleep). */
const untilText = (page: Page, selector: string, re: RegExp, timeout = 30_000) =>
  page.waitForFunction(
    ([sel, src]) => new RegExp(src as string).test(document.querySelector(sel)?.textContent ?? ''),
    [selector, re.source],
    { timeout },
  );

/** Bounded wait until a chart's data attribute is a number satisfying `min` or more. */
const untilData = (page: Page, selector: string, key: string, min: number, timeout = 15_000) =>
  page.waitForFunction(
    ([sel, k, m]) => Number(document.querySelector(sel)?.dataset[k as string]) >= (m as number),
    [selector, key, min] as const,
    { timeout },
  );

async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await page.fill(selector, text);
}

test('the web app: list, create from YAML, Ready, try it, chart, logs, YAML, delete; field errors', async (t) => {
  browser = await launchChromium(t);
  if (!browser) return;
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });

  // First paint, cold (a new browser context: empty cache) each time, best of three: the machine is shared, and
  // a paint delayed by another process's load says nothing about the app. The browser's own start (processes,
  // profile) is not the app's either: a tiny file is loaded first.
  const paints: number[] = [];
  const listed: number[] = [];
  for (let i = 0; i < 3; i++) {
    const ctx = await browser.newContext();
    const cold = await ctx.newPage();
    await cold.goto(`${inferd.url}/ui/favicon.svg`);
    await cold.goto(`${inferd.url}/ui/#/ns/kserve-test`);
    await cold.waitForSelector('#no-services', { timeout: 10_000 });
    // Since the navigation started, by the page's clock (about when the list appeared).
    listed.push(await cold.evaluate(() => performance.now()));
    const fcp = await cold.evaluate(
      () =>
        (performance.getEntriesByType('paint' as never) as { name: string; startTime: number }[]).find(
          (e) => e.name === 'first-contentful-paint',
        )?.startTime,
    );
    assert.ok(fcp !== undefined, 'the page painted');
    paints.push(fcp);
    await ctx.close();
  }
  const round = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
  t.diagnostic(`first contentful paint ${round(paints)} ms; list rendered by ${round(listed)} ms`);
  assert.ok(Math.min(...paints) < 1000, `first paint under 1 s (best of ${round(paints)} ms)`);

  await page.goto(`${inferd.url}/ui/favicon.svg`);
  const problems = collectProblems(page);
  await page.goto(`${inferd.url}/ui/#/ns/kserve-test`);
  await page.waitForSelector('#no-services', { timeout: 10_000 });
  await screenshot(page, '01-empty-list');

  // Create from YAML: the repository's iris manifest, pasted as is.
  await page.click('text=Create');
  await page.waitForSelector('#yaml');
  await typeInto(page, '#yaml', IRIS_YAML);
  await page.click('#submit-yaml');
  await page.waitForURL(/#\/ns\/kserve-test\/isvc\/sklearn-iris$/, { timeout: 10_000 });
  await page.waitForSelector('#model-status');
  await screenshot(page, '02-created');
  await untilText(page, '#ready', /^Ready$/);
  const timeline = await page.textContent('#model-timeline');
  assert.match(timeline ?? '', /Loaded/, 'the model status shows the model Loaded');
  assert.match((await page.textContent('#conditions')) ?? '', /PredictorReady/);
  assert.match((await page.textContent('#replicas')) ?? '', /1 ready/);
  await screenshot(page, '03-ready');

  // The list shows it too, live (no reload).
  await page.click('text=Services');
  await page.waitForSelector('tr[data-name="sklearn-iris"]');
  const row = (await page.textContent('tr[data-name="sklearn-iris"]')) ?? '';
  assert.match(row, /Ready/);
  assert.match(row, /models\/sklearn-iris/);
  assert.match(row, /sklearn-iris-predictor-00001 100%/);
  await screenshot(page, '04-list');
  await page.click('tr[data-name="sklearn-iris"] a');

  // Try it: V1 predict through the gateway.
  await page.click('#tab-try');
  await page.waitForSelector('#try-body');
  await page.waitForFunction(() => document.querySelector('#try-body').value.includes('instances'), undefined, {
    timeout: 10_000,
  });
  await typeInto(page, '#try-body', IRIS);
  await page.click('#try-send');
  await page.waitForSelector('#try-answer');
  assert.equal(await page.textContent('#try-answer'), '{"predictions":[1,1]}');
  assert.match((await page.textContent('#try-status')) ?? '', /HTTP 200/);
  assert.match((await page.textContent('#try-latency')) ?? '', /^\d+(\.\d)? ms$/);
  await screenshot(page, '05-try-it');
  // V2, prefilled with a template (iris publishes no input metadata), then the iris tensor.
  await page.click('#proto-v2');
  await page.waitForFunction(() => document.querySelector('#try-body').value.includes('"inputs"'), undefined, {
    timeout: 10_000,
  });
  await typeInto(
    page,
    '#try-body',
    '{"inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32","data":[6.8,2.8,4.8,1.4,6.0,3.4,4.5,1.6]}]}',
  );
  await page.click('#try-send');
  await untilText(page, '#try-answer', /"outputs"/);
  assert.deepEqual(JSON.parse((await page.textContent('#try-answer')) ?? '').outputs[0].data, [1, 1]);

  // Charts: from /metrics every 2 s. Traffic after the first points → the request rate goes above zero.
  await page.click('#tab-metrics');
  await untilData(page, '#chart-rps', 'points', 1);
  const load = setInterval(() => {
    void fetch(`${inferd.url}/serving/kserve-test/sklearn-iris/v1/models/sklearn-iris:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: IRIS,
    }).then((r) => r.arrayBuffer());
  }, 50);
  try {
    await untilData(page, '#chart-rps', 'last', 0.01);
    const metrics = await (await fetch(`${inferd.url}/metrics`)).text();
    // Latency percentiles need the per-service histogram (docs/web-app.md): checked once the gateway has it.
    if (metrics.includes('inferd_gateway_request_duration_seconds_bucket{')) {
      await untilData(page, '#chart-latency', 'last', 1e-6);
    } else {
      assert.match((await page.textContent('#chart-latency')) ?? '', /no data/);
    }
  } finally {
    clearInterval(load);
  }
  const rps = Number(await page.getAttribute('#chart-rps', 'data-last'));
  t.diagnostic(`request-rate chart: ${rps.toFixed(1)} req/s`);
  assert.ok(rps > 0);
  assert.ok(await page.$('#chart-rps canvas'), 'the rate chart is drawn (uPlot canvas)');
  await screenshot(page, '06-metrics');

  // Logs (tail + follow) and the manifest as YAML.
  await page.click('#tab-logs');
  await untilText(page, '#logs', /storage initializer/);
  await screenshot(page, '07-logs');
  await page.click('#tab-events');
  await untilText(page, '#events', /RevisionReady/);
  await page.click('#tab-yaml');
  await untilText(page, '#manifest', /kind: InferenceService/);
  const yaml = (await page.textContent('#manifest')) ?? '';
  assert.match(yaml, /storageUri: models\/sklearn-iris/);
  assert.match(yaml, /namespace: kserve-test/);
  await screenshot(page, '08-yaml');

  // Edit: the YAML back with an annotation added; the view shows the stored object after the watch event.
  await page.click('#edit-yaml');
  await page.waitForSelector('#yaml');
  const current = await page.inputValue('#yaml');
  assert.doesNotMatch(current, /^status:/m, 'the editor starts without status');
  await typeInto(page, '#yaml', current.replace(/^metadata:\n/m, 'metadata:\n  annotations:\n    team: ml\n'));
  await page.click('#submit-yaml');
  await untilText(page, '#manifest', /team: ml/);

  // The other kinds' page lists the built-in ClusterServingRuntimes.
  await page.click('text=Graphs and runtimes');
  await untilText(page, '#kind-ClusterServingRuntime', /kserve-sklearnserver/);
  await screenshot(page, '09-other-kinds');
  await page.goBack();
  await page.waitForSelector('#delete');

  // Delete, with confirmation.
  await page.click('#delete');
  await page.waitForSelector('#confirm-delete');
  await screenshot(page, '10-confirm-delete');
  await page.click('#confirm-delete');
  await page.waitForSelector('#no-services', { timeout: 15_000 });
  const gone = await fetch(
    `${inferd.url}/apis/serving.kserve.io/v1beta1/namespaces/kserve-test/inferenceservices/sklearn-iris`,
  );
  assert.equal(gone.status, 404);

  // A YAML with errors: each one at its field path, with the YAML line.
  await page.click('text=Create');
  await page.waitForSelector('#yaml');
  await typeInto(
    page,
    '#yaml',
    IRIS_YAML.replace('storageUri: "models/sklearn-iris"', 'storageUri: 12\n      minReplicas: 1'),
  );
  await page.click('#submit-yaml');
  await page.waitForSelector('#field-errors');
  const storage = (await page.textContent('[data-field="spec.predictor.model.storageUri"]')) ?? '';
  assert.match(storage, /spec\.predictor\.model\.storageUri \(line 15\): must be a string/);
  assert.match((await page.textContent('#field-errors')) ?? '', /spec\.predictor\.model\.minReplicas/);
  await screenshot(page, '11-yaml-field-errors');

  // The short form: the error sits under its input.
  await page.click('#tab-create-form');
  await typeInto(page, '#form-name', 'Bad_Name');
  await typeInto(page, '#form-storageUri', 'models/sklearn-iris');
  await page.click('#submit-form');
  await page.waitForSelector('[data-field="metadata.name"]');
  await screenshot(page, '12-form-field-error');

  // The two 422 answers above are expected, nothing else.
  const unexpected = problems.filter(
    (p) => !/^422 \/apis\/serving.kserve.io\/v1beta1\/namespaces\/kserve-test\/inferenceservices$/.test(p),
  );
  assert.deepEqual(unexpected, [], 'no console errors, exceptions or CSP violations');
});

test('download progress: a model served half, then held, shows its bytes and a bar; then Ready', async (t) => {
  browser ??= await launchChromium(t);
  if (!browser) return;
  const model = readFileSync(join(repoRoot, 'models', 'sklearn-iris', 'model.joblib'));
  // The model server sends the first 2,000 bytes, then waits for the test to release the rest (no timer).
  let held: ServerResponse | undefined;
  modelServer = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': model.length });
    if (req.method === 'HEAD') return res.end();
    res.write(model.subarray(0, 2000));
    held = res;
  });
  await new Promise<void>((resolve) => modelServer!.listen(0, '127.0.0.1', resolve));
  const uri = `http://127.0.0.1:${(modelServer.address() as AddressInfo).port}/model.joblib`;
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  await page.goto(`${inferd.url}/ui/#/create?namespace=default`);
  await page.click('#tab-create-form');
  await typeInto(page, '#form-name', 'slow-iris');
  await typeInto(page, '#form-namespace', 'default');
  await typeInto(page, '#form-storageUri', uri);
  await page.click('#submit-form');
  await page.waitForURL(/#\/ns\/default\/isvc\/slow-iris$/, { timeout: 10_000 });
  await untilText(page, '#download', /downloading model: 2\.0 KiB of 5\.6 KiB/);
  const width = await page.$eval('#download .bar', (el) => (el as unknown as { style: { width: string } }).style.width);
  // The bar follows the message's rounded units (2.0 of 5.6 KiB): within 2 points of the exact fraction.
  assert.ok(Math.abs(Number.parseFloat(width) - (2000 / model.length) * 100) <= 2, `bar width ${width}`);
  await screenshot(page, 'download-01-progress');
  assert.ok(held, 'the model server is holding the download');
  held.end(model.subarray(2000));
  await untilText(page, '#ready', /^Ready$/);
  assert.match((await page.textContent('#model-timeline')) ?? '', /Downloading → .*Loaded/);
  await screenshot(page, 'download-02-ready');
  await page.close();
});
