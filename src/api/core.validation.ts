// core/v1 kinds inferd stores: Secret (k8s.io/kubernetes/pkg/apis/core/validation ValidateSecret: keys of
// `[-._a-zA-Z0-9]+`, `data` values base64, total ≤ 1 MiB), ServiceAccount (`secrets[]`/`imagePullSecrets[]`
// references by name), Namespace and Event (metadata only).

import { isArray, isBoolean, isObject, isString, type Out, present, unknownFields } from './checks.js';
import { child } from './json-path.js';
import { nameProblem } from './names.js';
import { validateObjectMeta } from './object-meta.validation.js';
import { TOP_LEVEL_FIELDS } from './resource-fields.js';
import { kindByName, type Problem, type Resource } from './types.js';

/** MaxSecretSize in pkg/apis/core/types.go */
export const MAX_SECRET_BYTES = 1024 * 1024; // 1 MiB
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const SECRET_FIELDS = ['apiVersion', 'kind', 'metadata', 'type', 'data', 'stringData', 'immutable'];
const SERVICE_ACCOUNT_FIELDS = [
  'apiVersion',
  'kind',
  'metadata',
  'secrets',
  'imagePullSecrets',
  'automountServiceAccountToken',
];

export function validateSecret(secret: Resource): Problem[] {
  const out: Out = [];
  const obj = secret as Record<string, unknown>;
  unknownFields(obj, SECRET_FIELDS, '', out);
  out.push(...validateObjectMeta(obj['metadata'], kindByName('Secret')!));
  if (present(obj['type'])) isString(obj['type'], 'type', out);
  if (present(obj['immutable'])) isBoolean(obj['immutable'], 'immutable', out);
  let size = 0;
  const data = obj['data'];
  if (present(data) && isObject(data, 'data', out)) {
    for (const [k, v] of Object.entries(data)) {
      const p = child('data', k);
      checkKey(k, p, out);
      if (!isString(v, p, out)) continue;
      const compact = v.replace(/\s+/g, '');
      if (!BASE64.test(compact)) {
        out.push({ path: p, message: 'must be base64-encoded (put plain text under stringData instead)' });
      } else size += Buffer.from(compact, 'base64').length;
    }
  }
  const stringData = obj['stringData'];
  if (present(stringData) && isObject(stringData, 'stringData', out)) {
    for (const [k, v] of Object.entries(stringData)) {
      const p = child('stringData', k);
      checkKey(k, p, out);
      if (isString(v, p, out)) size += Buffer.byteLength(v);
    }
  }
  if (size > MAX_SECRET_BYTES) {
    out.push({ path: 'data', message: `must be at most ${MAX_SECRET_BYTES} bytes in total, got ${size}` });
  }
  return out;
}

function checkKey(key: string, path: string, out: Out): void {
  if (key.length === 0 || key.length > 253 || !SECRET_KEY.test(key)) {
    out.push({ path, message: "a valid config key must consist of alphanumeric characters, '-', '_' or '.'" });
  }
}

export function validateServiceAccount(sa: Resource): Problem[] {
  const out: Out = [];
  const obj = sa as Record<string, unknown>;
  unknownFields(obj, SERVICE_ACCOUNT_FIELDS, '', out);
  out.push(...validateObjectMeta(obj['metadata'], kindByName('ServiceAccount')!));
  for (const field of ['secrets', 'imagePullSecrets']) {
    const list = obj[field];
    if (!present(list) || !isArray(list, field, out)) continue;
    list.forEach((ref, i) => {
      const p = child(field, i);
      if (!isObject(ref, p, out)) return;
      const name = ref['name'];
      if (!present(name) || name === '') out.push({ path: child(p, 'name'), message: 'required' });
      else if (isString(name, child(p, 'name'), out)) {
        const bad = nameProblem(name, 'dns1123Subdomain');
        if (bad) out.push({ path: child(p, 'name'), message: bad });
      }
    });
  }
  if (present(obj['automountServiceAccountToken'])) {
    isBoolean(obj['automountServiceAccountToken'], 'automountServiceAccountToken', out);
  }
  return out;
}

export function validateNamespace(ns: Resource): Problem[] {
  const out: Out = [];
  unknownFields(ns as Record<string, unknown>, TOP_LEVEL_FIELDS, '', out);
  out.push(...validateObjectMeta(ns.metadata, kindByName('Namespace')!));
  return out;
}

/** Events are written by inferd's controllers; only metadata and the involved object are checked. */
export function validateEvent(ev: Resource): Problem[] {
  const out: Out = [...validateObjectMeta(ev.metadata, kindByName('Event')!)];
  const involved = (ev as Record<string, unknown>)['involvedObject'];
  if (present(involved)) isObject(involved, 'involvedObject', out);
  return out;
}
