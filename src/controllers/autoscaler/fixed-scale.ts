// The scale of revisions that are not autoscaled: initialScale replicas, clamped to [minScale, maxScale]
// (Knative's class "none", KServe's autoscalerClass "external"). Never changes on its own, so never emits.

import { EventEmitter } from 'node:events';
import type { RevisionScaleInput, ScaleSource } from './scale-source.js';

export class FixedScale extends EventEmitter implements ScaleSource {
  observe(input: RevisionScaleInput): number {
    const s = input.settings;
    const n = Math.max(s.minScale, s.initialScale);
    return s.maxScale > 0 ? Math.min(n, s.maxScale) : n;
  }

  forget(_key: string): void {}

  close(): void {}
}
