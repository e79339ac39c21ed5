// The Status part of `describe isvc`: URL, conditions as a table, each component's revisions and traffic,
// and the model status with its last failure — the things people look at when a model will not come up.

import type { ComponentStatus, InferenceServiceStatus, ModelStatus } from '../../api/types.js';
import type { DescribeWriter } from './describe-writer.js';

function component(w: DescribeWriter, name: string, c: ComponentStatus): void {
  w.field(2, name);
  const url = c.url ?? c.address?.url;
  if (url !== undefined) w.field(3, 'URL', url);
  if (c.latestCreatedRevision !== undefined) w.field(3, 'Latest Created Revision', c.latestCreatedRevision);
  if (c.latestReadyRevision !== undefined) w.field(3, 'Latest Ready Revision', c.latestReadyRevision);
  if (c.latestRolledoutRevision !== undefined) w.field(3, 'Latest Rolledout Revision', c.latestRolledoutRevision);
  if (c.previousRolledoutRevision !== undefined) w.field(3, 'Previous Rolledout Revision', c.previousRolledoutRevision);
  if (c.restartCount !== undefined) w.field(3, 'Restart Count', c.restartCount);
  if (c.desiredReplicas !== undefined) {
    w.field(3, 'Replicas', `${c.readyReplicas ?? 0} ready of ${c.desiredReplicas} desired`);
  }
  if (c.traffic && c.traffic.length > 0) {
    w.field(3, 'Traffic');
    w.table(4, [
      ['Revision', 'Percent', 'Latest', 'Tag'],
      ...c.traffic.map((t) => [t.revisionName, `${t.percent}%`, t.latestRevision ? 'true' : 'false', t.tag ?? '']),
    ]);
  }
}

function modelStatus(w: DescribeWriter, m: ModelStatus): void {
  w.field(1, 'Model Status');
  w.field(2, 'Transition Status', m.transitionStatus);
  const states = m.states ?? m.modelRevisionStates;
  if (states) {
    w.field(2, 'Active Model State', states.activeModelState);
    if (states.targetModelState !== undefined) w.field(2, 'Target Model State', states.targetModelState);
  }
  if (m.copies) {
    w.field(2, 'Failed Copies', m.copies.failedCopies);
    if (m.copies.totalCopies !== undefined) w.field(2, 'Total Copies', m.copies.totalCopies);
  }
  const f = m.lastFailureInfo;
  if (f) {
    w.field(2, 'Last Failure Info');
    w.field(3, 'Reason', f.reason);
    w.field(3, 'Message', f.message);
    if (f.location !== undefined) w.field(3, 'Location', f.location);
    if (f.exitCode !== undefined) w.field(3, 'Exit Code', f.exitCode);
    if (f.time !== undefined) w.field(3, 'Time', f.time);
  }
}

/** Writes `Status:` for an InferenceService (`<none>` when the controller has not written one yet). */
export function describeInferenceServiceStatus(w: DescribeWriter, s: InferenceServiceStatus | undefined): void {
  if (!s || Object.keys(s).length === 0) {
    w.field(0, 'Status', '<none>');
    return;
  }
  w.field(0, 'Status');
  if (s.url !== undefined) w.field(1, 'URL', s.url);
  if (s.address?.url !== undefined) w.field(1, 'Address', s.address.url);
  if (s.observedGeneration !== undefined) w.field(1, 'Observed Generation', s.observedGeneration);
  if (s.conditions && s.conditions.length > 0) {
    w.field(1, 'Conditions');
    w.table(2, [
      ['Type', 'Status', 'Reason', 'Message', 'LastTransitionTime'],
      ...s.conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.lastTransitionTime ?? '']),
    ]);
  }
  const components = Object.entries(s.components ?? {}).filter(([, c]) => c);
  if (components.length > 0) {
    w.field(1, 'Components');
    for (const [name, c] of components)
      component(w, name.charAt(0).toUpperCase() + name.slice(1), c as ComponentStatus);
  }
  if (s.modelStatus) modelStatus(w, s.modelStatus);
}
