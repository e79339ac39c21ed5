// A TypeScript explainer (docs/containers.md, "Explainers"): `:explain` on the service host reaches it; it asks
// the predictor (--predictor_host, through inferd) for the class of each row and of each row with one feature
// zeroed, and reports which features changed the answer (a leave-one-out explanation).
//
//   spec.explainer.containers: [{name: kserve-container, command: [inferd, run, dist/examples/explainer/explainer.js]}]

import { Model, type Payload, type RequestContext, type Result, type V1Request, type V1Response } from 'inferd';

export default class LeaveOneOutExplainer extends Model {
  override async explain(payload: Payload, ctx: RequestContext): Promise<Result> {
    const rows = ((payload as V1Request).instances ?? []) as number[][];
    const ask = async (instances: number[][]) =>
      ((await this.predict({ instances }, ctx)) as V1Response).predictions as number[];
    const base = await ask(rows);
    const explanations = await Promise.all(
      rows.map(async (row, i) => {
        const variants = row.map((_, f) => row.map((v, g) => (g === f ? 0 : v)));
        const answers = await ask(variants);
        return { prediction: base[i], influential_features: answers.flatMap((a, f) => (a !== base[i] ? [f] : [])) };
      }),
    );
    return { explanations };
  }
}
