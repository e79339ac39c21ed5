// Multi-model serving figures (issue 16), on a fresh `inferd serve` with default settings: one multi-model
// InferenceService (a predictor without storageUri) and iris-size sklearn TrainedModels loaded into it.
//   trained_model_mib_per_extra_model  RSS growth of the serve tree from 1 to 100 models, per model
//   load_1000_models_s                 POSTing 999 more TrainedModels (16 at a time) until all 1,000 are Ready
//   tm_one_of_1000_rps_vs_lone         V1 c16 rps through the gateway for one model among 1,000 loaded,
//                                      over the same model's rps when it was the only one

import { request } from './http-client.js';
import type { CaseSpec } from './measure.js';
import { v1Iris } from './payloads.js';
import { sampleTree } from './proc.js';
import { applyIsvc, type InferdServe, waitIsvcReady } from './targets.js';

export interface TrainedModelFigures {
  rss_mib_1_model: number | null;
  rss_mib_100_models: number | null;
  mib_per_extra_model: number | null;
  load_1000_models_s: number | null;
  models_ready: number;
  note?: string;
}

const TM_API = '/apis/serving.kserve.io/v1alpha1/namespaces/default/trainedmodels';
const PARENT = 'bench-mms';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

async function createTm(url: string, name: string, storageUri: string): Promise<void> {
  const r = await request(`${url}${TM_API}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'serving.kserve.io/v1alpha1',
      kind: 'TrainedModel',
      metadata: { name, namespace: 'default' },
      spec: { inferenceService: PARENT, model: { storageUri, framework: 'sklearn', memory: '1Mi' } },
    }),
    timeoutMs: 15_000,
  });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body.toString().slice(0, 200)}`);
}

async function countReady(url: string): Promise<number> {
  const r = await request(`${url}${TM_API}`, { timeoutMs: 30_000 });
  const list = JSON.parse(r.body.toString()) as {
    items: { status?: { conditions?: { type: string; status: string }[] } }[];
  };
  return list.items.filter((i) => i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

async function waitReady(url: string, n: number, deadline: number): Promise<number> {
  let ready = 0;
  while (Date.now() < deadline) {
    ready = await countReady(url);
    if (ready >= n) return ready;
    await sleep(250);
  }
  return ready;
}

/** Creates models `from..to-1` (16 requests at a time). */
async function createRange(url: string, from: number, to: number, modelDir: string): Promise<void> {
  for (let i = from; i < to; i += 16) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(to, i + 16); j++) batch.push(createTm(url, `tm-${j}`, modelDir));
    await Promise.all(batch);
  }
}

export async function measureTrainedModels(
  serve: InferdServe,
  opts: {
    modelDir: string;
    log: (msg: string) => void;
    /** Runs one wrk case (the bench's `run`), which records it in the results' cases. */
    runCase: (spec: CaseSpec) => Promise<void>;
    deadline: number;
  },
): Promise<TrainedModelFigures> {
  const out: TrainedModelFigures = {
    rss_mib_1_model: null,
    rss_mib_100_models: null,
    mib_per_extra_model: null,
    load_1000_models_s: null,
    models_ready: 0,
  };
  await applyIsvc(serve.url, {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: PARENT, namespace: 'default' },
    spec: { predictor: { model: { modelFormat: { name: 'sklearn' } } } },
  });
  await waitIsvcReady(serve.url, 'default', PARENT, 60_000);
  const caseBase = {
    target: 'inferd-gateway' as const,
    payload: v1Iris,
    model: 'tm-0',
    connections: 16,
    baseUrl: serve.url,
    headers: { Host: `${PARENT}.default.example.com` },
    serverPids: [serve.started.pid],
  };

  await createTm(serve.url, 'tm-0', opts.modelDir);
  out.models_ready = await waitReady(serve.url, 1, opts.deadline);
  await sleep(500);
  out.rss_mib_1_model = round(sampleTree(serve.started.pid).rssBytes / 1048576);
  await opts.runCase({ ...caseBase, variant: '_tm_lone' });

  // load_1000_models_s: from the first POST of tm-1 until tm-0..tm-999 are all Ready (the RSS sample at 100
  // models, ~0.5 s, included).
  const t0 = performance.now();
  await createRange(serve.url, 1, 100, opts.modelDir);
  out.models_ready = await waitReady(serve.url, 100, opts.deadline);
  await sleep(500);
  out.rss_mib_100_models = round(sampleTree(serve.started.pid).rssBytes / 1048576);
  if (out.models_ready >= 100) {
    out.mib_per_extra_model = round((out.rss_mib_100_models - out.rss_mib_1_model) / 99, 2);
  }
  opts.log(
    `  trained models: 1 → ${out.rss_mib_1_model} MiB, 100 → ${out.rss_mib_100_models} MiB (${out.mib_per_extra_model} MiB per extra model)`,
  );

  await createRange(serve.url, 100, 1000, opts.modelDir);
  out.models_ready = await waitReady(serve.url, 1000, opts.deadline);
  const s = (performance.now() - t0) / 1000;
  if (out.models_ready >= 1000) out.load_1000_models_s = round(s, 1);
  else out.note = `only ${out.models_ready} of 1000 models Ready before the time box`;
  opts.log(`  trained models: ${out.models_ready} of 1000 Ready in ${round(s)} s`);
  await opts.runCase({ ...caseBase, variant: '_tm_of_1000' });
  return out;
}

/** The figures as ratios for results.ratios (and the targets). */
export function trainedModelRatios(
  figures: TrainedModelFigures | undefined,
  rps: (variant: string) => number | null | undefined,
): Record<string, number | null> {
  const lone = rps('_tm_lone');
  const among = rps('_tm_of_1000');
  return {
    trained_model_mib_per_extra_model: figures?.mib_per_extra_model ?? null,
    load_1000_models_s: figures?.load_1000_models_s ?? null,
    tm_one_of_1000_rps_vs_lone: lone && among ? round(among / lone, 2) : null,
  };
}
