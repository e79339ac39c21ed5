// ScaleByClass: autoscaled revisions go to the autoscaler (its 'scale' events come through), the others keep
// FixedScale's count and are not tracked by the autoscaler.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { ScaleByClass } from '../../../src/controllers/autoscaler/scale-by-class.js';
import type { RevisionScaleInput, ScaleChange, ScaleSource } from '../../../src/controllers/autoscaler/scale-source.js';
import { settingsWith } from './settings.js';

class Recorder extends EventEmitter implements ScaleSource {
  observed: string[] = [];
  forgotten: string[] = [];
  closed = false;
  observe(input: RevisionScaleInput): number {
    this.observed.push(input.key);
    return 7;
  }
  forget(key: string): void {
    this.forgotten.push(key);
  }
  close(): void {
    this.closed = true;
  }
}

const input = (key: string, autoscaled: boolean): RevisionScaleInput => ({
  key,
  settings: settingsWith({ autoscaled, minScale: 2, initialScale: 3, maxScale: 5 }),
  ready: 0,
  starting: 0,
  routable: true,
});

test("autoscaled revisions are the autoscaler's; autoscalerClass none/external keeps the fixed count", () => {
  const kpa = new Recorder();
  const scale = new ScaleByClass(kpa);
  assert.equal(scale.observe(input('ns/a/a-predictor-00001', true)), 7);
  assert.equal(scale.observe(input('ns/b/b-predictor-00001', false)), 3);
  assert.deepEqual(kpa.observed, ['ns/a/a-predictor-00001']);
  assert.deepEqual(kpa.forgotten, ['ns/b/b-predictor-00001']);
  const seen: ScaleChange[] = [];
  scale.on('scale', (c: ScaleChange) => seen.push(c));
  const change = { key: 'ns/a/a-predictor-00001', desired: 2, previous: 7, reason: 'ScaleDown', message: 'm' };
  kpa.emit('scale', change);
  assert.deepEqual(seen, [change]);
  scale.close();
  assert.equal(kpa.closed, true);
  kpa.emit('scale', change);
  assert.equal(seen.length, 1, 'no events after close');
});
