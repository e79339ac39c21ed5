// The ScaleSource `inferd serve` uses: each revision goes to the KPA-like autoscaler, or to FixedScale when
// its service turns autoscaling off (`serving.kserve.io/autoscalerClass: none|external`, settings.autoscaled).
// A revision whose class changes moves between them (it is a new revision then: the annotation is part of
// the revision template, so this only matters for a revision's first observe).

import { EventEmitter } from 'node:events';
import { FixedScale } from './fixed-scale.js';
import type { RevisionScaleInput, ScaleChange, ScaleSource } from './scale-source.js';

export class ScaleByClass extends EventEmitter implements ScaleSource {
  private readonly fixed = new FixedScale();
  /** The last count decided per revision (`inferd_replicas{state="desired"}`). */
  private readonly desired = new Map<string, number>();
  private readonly forward = (change: ScaleChange) => {
    this.desired.set(change.key, change.desired);
    this.emit('scale', change);
  };

  constructor(private readonly autoscaler: ScaleSource) {
    super();
    autoscaler.on('scale', this.forward);
  }

  observe(input: RevisionScaleInput): number {
    let n: number;
    if (input.settings.autoscaled) n = this.autoscaler.observe(input);
    else {
      this.autoscaler.forget(input.key);
      n = this.fixed.observe(input);
    }
    this.desired.set(input.key, n);
    return n;
  }

  /** The count last decided for the revision; undefined when it is not scaled here. */
  desiredOf(key: string): number | undefined {
    return this.desired.get(key);
  }

  forget(key: string): void {
    this.desired.delete(key);
    this.autoscaler.forget(key);
  }

  close(): void {
    this.autoscaler.off('scale', this.forward);
    this.autoscaler.close();
  }
}
