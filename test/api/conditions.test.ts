import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { conditionStatus, getCondition, isReady, removeCondition, setCondition } from '../../src/api/index.js';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';

describe('conditions', () => {
  test('setCondition adds, keeps lastTransitionTime while the status holds, changes it when the status changes', () => {
    let c = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Loading' }, T0);
    assert.deepEqual(c, [{ type: 'Ready', status: 'False', reason: 'Loading', lastTransitionTime: T0 }]);
    c = setCondition(c, { type: 'Ready', status: 'False', reason: 'Downloading', message: 'gs://b/m' }, T1);
    assert.deepEqual(c, [
      { type: 'Ready', status: 'False', reason: 'Downloading', message: 'gs://b/m', lastTransitionTime: T0 },
    ]);
    c = setCondition(c, { type: 'Ready', status: 'True' }, T1);
    assert.deepEqual(c, [{ type: 'Ready', status: 'True', lastTransitionTime: T1 }]);
  });

  test('one condition per type, sorted by type; the input is not changed', () => {
    const a = setCondition([], { type: 'Ready', status: 'True' }, T0);
    const b = setCondition(a, { type: 'PredictorReady', status: 'True' }, T0);
    const c = setCondition(b, { type: 'IngressReady', status: 'True' }, T0);
    assert.deepEqual(
      c.map((x) => x.type),
      ['IngressReady', 'PredictorReady', 'Ready'],
    );
    assert.equal(a.length, 1);
  });

  test('getCondition, isReady, conditionStatus, removeCondition', () => {
    const c = setCondition(
      setCondition([], { type: 'Ready', status: 'True' }, T0),
      { type: 'PredictorReady', status: 'False' },
      T0,
    );
    assert.equal(getCondition(c, 'PredictorReady')?.status, 'False');
    assert.equal(getCondition(c, 'Nope'), undefined);
    assert.equal(isReady(c), true);
    assert.equal(isReady(c, 'PredictorReady'), false);
    assert.equal(isReady(undefined), false);
    assert.equal(conditionStatus(c, 'IngressReady'), 'Unknown');
    assert.deepEqual(
      removeCondition(c, 'Ready').map((x) => x.type),
      ['PredictorReady'],
    );
  });
});
