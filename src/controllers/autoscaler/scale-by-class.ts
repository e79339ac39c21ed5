// The ScaleSource `inferd serve` uses: each revision goes to the KPA-like autoscaler, or to FixedScale when
// its service turns autoscaling off (`serving.kserve.io/autoscalerClass: none|external`, settings.autoscaled).
// A revision whose class changes moves between them (it is a new revision then: the annotation is part of
// the revision template, so this only matters for a revision's first observe).

import { EventEmitter } from 'node:events';
import { FixedScale } from './fixed-scale.js';
import type { RevisionScaleInput, ScaleChange, ScaleSource } from './scale-source.js';

export class ScaleByClass extends EventEmitter implements ScaleSource {
  private readonly fixed = new FixedScale();
  private readonly forward = (change: ScaleChange) => this.emit('scale', change);

  constructor(private readonly autoscaler: ScaleSource) {
    super();
    autoscaler.on('scale', this.forward);
  }

  observe(input: RevisionScaleInput): number {
    if (input.settings.autoscaled) return this.autoscaler.observe(input);
    this.autoscaler.forget(input.key);
    return this.fixed.observe(input);
  }

  forget(key: string): void {
    this.autoscaler.forget(key);
  }

  close(): void {
    this.autoscaler.off('scale', this.forward);
    this.autoscaler.close();
  }
}
