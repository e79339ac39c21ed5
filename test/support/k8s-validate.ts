// Kubernetes schema checks without a cluster (issue 19, item 5):
// - validateK8sObject: a built-in object (apps/v1 Deployment, v1 Service, a CRD itself, ...) against the
//   official OpenAPI schemas compiled into kubernetes-models 4.5.1 (@kubernetes-models/validate).
// - validateCustomResource / validateSchema: an object against a CRD's openAPIV3Schema, with the subset of
//   OpenAPI v3 that structural CRD schemas use, reporting what the API server would reject or prune.
// - structuralProblems: why a CRD schema would not be accepted as structural.
// Every function returns a list of problems ('' paths are the object root); an empty list means valid.

type Schema = Record<string, unknown>;
type Json = unknown;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `apps/v1` + `Deployment` → `kubernetes-models/apps/v1/Deployment`; `v1` + `Service` → `kubernetes-models/v1/Service`. */
function modelModule(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

interface ModelCtor {
  new (data: unknown): { validate(): void };
}

/**
 * Problems of a built-in Kubernetes object (or a CustomResourceDefinition) against the official schema
 * of its apiVersion/kind. A kind kubernetes-models does not know is itself a problem. Note the official
 * schemas check types, required fields and formats but not unknown fields (kubectl's --validate=strict does).
 */
export async function validateK8sObject(obj: Json): Promise<string[]> {
  if (!isObject(obj)) return ['not an object'];
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['apiVersion and kind are required'];
  let Ctor: ModelCtor | undefined;
  try {
    const mod = (await import(modelModule(apiVersion, kind))) as Record<string, ModelCtor>;
    Ctor = mod[kind];
  } catch {
    // fall through: reported below
  }
  if (!Ctor) return [`${apiVersion}/${kind}: no official schema in kubernetes-models`];
  const { apiVersion: _a, kind: _k, ...data } = obj;
  try {
    new Ctor(data).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: { instancePath: string; message?: string; params?: unknown }[] }).errors;
    if (!errors) return [String(err)];
    return errors.map((e) => `${e.instancePath || '/'}: ${e.message ?? 'invalid'} ${JSON.stringify(e.params ?? {})}`);
  }
}

const INT_FORMATS: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function typeOf(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(type: string, v: Json): boolean {
  const t = typeOf(v);
  return t === type || (type === 'number' && t === 'integer');
}

/**
 * Problems of `value` against a structural schema, as the API server reports them: wrong types, missing
 * required fields, values outside an enum, and unknown fields it would prune (`unknown field "x"`, as
 * kubectl's strict validation says) unless x-kubernetes-preserve-unknown-fields keeps them.
 */
export function validateSchema(schema: Schema, value: Json, path = ''): string[] {
  const problems: string[] = [];
  const at = path || '<root>';
  if (value === null) {
    if (schema['nullable'] !== true && !schema['x-kubernetes-preserve-unknown-fields']) {
      problems.push(`${at}: null is not allowed`);
    }
    return problems;
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const subs = schema[key] as Schema[] | undefined;
    if (!subs) continue;
    const results = subs.map((s) =>
      validateSchema({ ...s, 'x-kubernetes-preserve-unknown-fields': true }, value, path),
    );
    const passing = results.filter((r) => r.length === 0).length;
    if (key === 'allOf' && passing !== subs.length) problems.push(...results.flat());
    if (key === 'anyOf' && passing === 0) problems.push(`${at}: matches none of anyOf`);
    if (key === 'oneOf' && passing !== 1) problems.push(`${at}: matches ${passing} of oneOf, expected 1`);
  }
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value !== 'string' && typeOf(value) !== 'integer') {
      problems.push(`${at}: expected an integer or a string, got ${typeOf(value)}`);
    }
    return problems;
  }
  const type = schema['type'] as string | undefined;
  if (type && !typeMatches(type, value)) {
    problems.push(`${at}: expected ${type}, got ${typeOf(value)}`);
    return problems;
  }
  const enumValues = schema['enum'] as Json[] | undefined;
  if (enumValues && !enumValues.some((e) => e === value)) {
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(enumValues)}`);
  }
  const format = schema['format'] as string | undefined;
  const range = format ? INT_FORMATS[format] : undefined;
  if (range && typeof value === 'number' && (value < range[0] || value > range[1])) {
    problems.push(`${at}: ${value} is out of the ${format} range`);
  }
  if (typeof value === 'string') {
    const pattern = schema['pattern'] as string | undefined;
    if (pattern && !new RegExp(pattern, 'u').test(value)) problems.push(`${at}: does not match ${pattern}`);
    const max = schema['maxLength'] as number | undefined;
    if (max !== undefined && value.length > max) problems.push(`${at}: longer than ${max}`);
    const min = schema['minLength'] as number | undefined;
    if (min !== undefined && value.length < min) problems.push(`${at}: shorter than ${min}`);
  }
  if (typeof value === 'number') {
    const max = schema['maximum'] as number | undefined;
    if (max !== undefined && value > max) problems.push(`${at}: above the maximum ${max}`);
    const min = schema['minimum'] as number | undefined;
    if (min !== undefined && value < min) problems.push(`${at}: below the minimum ${min}`);
  }
  if (Array.isArray(value)) {
    const items = schema['items'] as Schema | undefined;
    if (items) {
      for (const [i, v] of value.entries()) problems.push(...validateSchema(items, v, `${path}[${i}]`));
    }
  }
  if (isObject(value)) {
    for (const r of (schema['required'] as string[] | undefined) ?? []) {
      if (!(r in value)) problems.push(`${path ? `${path}.` : ''}${r}: required`);
    }
    const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
    const additional = schema['additionalProperties'];
    const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    const embedded = schema['x-kubernetes-embedded-resource'] === true;
    for (const [k, v] of Object.entries(value)) {
      const sub = `${path ? `${path}.` : ''}${k}`;
      if (path === '' && k === 'metadata') {
        // ObjectMeta is the API server's own schema, never the CRD's (structural CRDs may not restate it).
        if (!isObject(v)) problems.push('metadata: expected object');
      } else if (props[k]) problems.push(...validateSchema(props[k], v, sub));
      else if (isObject(additional)) problems.push(...validateSchema(additional, v, sub));
      else if (additional === true || preserve) continue;
      else if (embedded && ['apiVersion', 'kind', 'metadata'].includes(k)) continue;
      else if (path === '' && ['apiVersion', 'kind', 'metadata'].includes(k)) continue;
      else problems.push(`${sub}: unknown field (the API server would prune it)`);
    }
  }
  return problems;
}

/** The CRD serving `obj`'s apiVersion and kind, and that version's schema, or undefined. */
function schemaFor(crds: readonly Json[], obj: Record<string, unknown>): Schema | undefined {
  const [group, version] = String(obj['apiVersion']).split('/');
  for (const crd of crds) {
    const spec = isObject(crd) ? (crd['spec'] as Record<string, unknown>) : undefined;
    if (!spec || spec['group'] !== group) continue;
    if ((spec['names'] as Record<string, unknown>)['kind'] !== obj['kind']) continue;
    const v = (spec['versions'] as Record<string, unknown>[]).find((x) => x['name'] === version && x['served']);
    return (v?.['schema'] as { openAPIV3Schema?: Schema } | undefined)?.openAPIV3Schema;
  }
  return undefined;
}

/** Problems of a custom resource against the CRD (from `crds`) that serves its apiVersion and kind. */
export function validateCustomResource(crds: readonly Json[], obj: Json): string[] {
  if (!isObject(obj)) return ['not an object'];
  const schema = schemaFor(crds, obj);
  if (!schema) return [`no CRD serves ${String(obj['apiVersion'])} ${String(obj['kind'])}`];
  return validateSchema(schema, obj);
}

/**
 * Why `schema` (a CRD version's openAPIV3Schema) is not structural, after Kubernetes' rules: every node has
 * a type (unless it is int-or-string or preserves unknown fields), no $ref, properties and
 * additionalProperties never together, metadata at the root restricted to name/generateName.
 */
export function structuralProblems(schema: Schema, path = ''): string[] {
  const problems: string[] = [];
  const at = path || '<root>';
  if ('$ref' in schema) problems.push(`${at}: $ref is not allowed`);
  const free = schema['x-kubernetes-preserve-unknown-fields'] === true || schema['x-kubernetes-int-or-string'] === true;
  if (!schema['type'] && !free) problems.push(`${at}: type is required`);
  if (schema['x-kubernetes-int-or-string'] === true && schema['type']) {
    problems.push(`${at}: x-kubernetes-int-or-string with a type`);
  }
  if (schema['properties'] && schema['additionalProperties'] !== undefined) {
    problems.push(`${at}: properties and additionalProperties together`);
  }
  for (const key of Object.keys(schema)) {
    if (key.startsWith('x-kubernetes-group-version-kind')) problems.push(`${at}: ${key} is not allowed`);
  }
  const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
  for (const [name, sub] of Object.entries(props)) {
    if (path === '' && name === 'metadata') {
      const extra = Object.keys((sub['properties'] as object | undefined) ?? {}).filter(
        (k) => k !== 'name' && k !== 'generateName',
      );
      if (extra.length) problems.push(`metadata: only name and generateName may be restricted, not ${extra}`);
    }
    problems.push(...structuralProblems(sub, path ? `${path}.${name}` : name));
  }
  if (isObject(schema['items'])) problems.push(...structuralProblems(schema['items'], `${path}[]`));
  if (isObject(schema['additionalProperties'])) {
    problems.push(...structuralProblems(schema['additionalProperties'], `${path}{}`));
  }
  return problems;
}

const RESTRICTIONS = ['pattern', 'maxLength', 'minLength', 'maximum', 'minimum', 'maxItems', 'minItems'] as const;

export interface CoverageReport {
  /** Paths KServe's schema names whose value ours would reject or prune. */
  problems: string[];
  /** Paths ours validates with a schema of its own. */
  validated: number;
  /** Paths ours keeps unvalidated (under x-kubernetes-preserve-unknown-fields). */
  preserved: number;
}

/**
 * Whether `ours` accepts everything `theirs` does, node by node: every property `theirs` names is either
 * described by ours with the same or a wider type (no narrower enum, format or extra required field) or
 * kept by an x-kubernetes-preserve-unknown-fields above it.
 */
export function compareSchemas(ours: Schema, theirs: Schema, path = ''): CoverageReport {
  const report: CoverageReport = { problems: [], validated: 0, preserved: 0 };
  const at = path || '<root>';
  const merge = (r: CoverageReport) => {
    report.problems.push(...r.problems);
    report.validated += r.validated;
    report.preserved += r.preserved;
  };
  if (ours['x-kubernetes-int-or-string'] === true) {
    report.validated++;
    return report; // accepts any integer or string, and theirs is one of these or narrower
  }
  const theirType = theirs['x-kubernetes-int-or-string'] === true ? 'int-or-string' : (theirs['type'] as string);
  const ourType = ours['type'] as string | undefined;
  if (ourType && theirType && ourType !== theirType && !(ourType === 'number' && theirType === 'integer')) {
    report.problems.push(`${at}: ours is ${ourType}, KServe's is ${theirType}`);
    return report;
  }
  report.validated++;
  if (theirs['nullable'] === true && ours['nullable'] !== true) report.problems.push(`${at}: ours is not nullable`);
  const ourEnum = ours['enum'] as Json[] | undefined;
  if (ourEnum) {
    const theirEnum = (theirs['enum'] as Json[] | undefined) ?? [];
    const missing = theirs['enum'] ? theirEnum.filter((e) => !ourEnum.includes(e)) : ['(any value)'];
    if (missing.length) report.problems.push(`${at}: our enum lacks ${JSON.stringify(missing)}`);
  }
  const ourFormat = ours['format'] as string | undefined;
  if (ourFormat && ourFormat !== theirs['format'] && !(ourFormat === 'int64' && !theirs['format'])) {
    if (ourFormat === 'int32' || ourFormat === 'byte' || ourFormat === 'date-time') {
      report.problems.push(`${at}: our format ${ourFormat} is narrower than KServe's ${String(theirs['format'])}`);
    }
  }
  for (const key of RESTRICTIONS) {
    if (ours[key] !== undefined && ours[key] !== theirs[key]) report.problems.push(`${at}: ours adds ${key}`);
  }
  const theirRequired = new Set((theirs['required'] as string[] | undefined) ?? []);
  for (const r of (ours['required'] as string[] | undefined) ?? []) {
    if (!theirRequired.has(r)) report.problems.push(`${at}: ours requires ${r}, KServe's does not`);
  }
  const preserve = ours['x-kubernetes-preserve-unknown-fields'] === true;
  const ourProps = (ours['properties'] as Record<string, Schema> | undefined) ?? {};
  const ourAdditional = ours['additionalProperties'];
  for (const [name, sub] of Object.entries((theirs['properties'] as Record<string, Schema> | undefined) ?? {})) {
    const subPath = path ? `${path}.${name}` : name;
    if (path === '' && name === 'metadata') continue; // the API server's own ObjectMeta
    if (ourProps[name]) merge(compareSchemas(ourProps[name], sub, subPath));
    else if (isObject(ourAdditional)) merge(compareSchemas(ourAdditional, sub, subPath));
    else if (preserve || ourAdditional === true) report.preserved += countNodes(sub);
    else report.problems.push(`${subPath}: not in our schema (the API server would prune it)`);
  }
  const theirAdditional = theirs['additionalProperties'];
  if (isObject(theirAdditional)) {
    if (isObject(ourAdditional)) merge(compareSchemas(ourAdditional, theirAdditional, `${path}{}`));
    else if (preserve || ourAdditional === true) report.preserved += countNodes(theirAdditional);
    else report.problems.push(`${at}{}: KServe's is a map, ours is not`);
  }
  if (isObject(theirs['items'])) {
    if (isObject(ours['items'])) merge(compareSchemas(ours['items'], theirs['items'], `${path}[]`));
    else if (!ourType) report.preserved += countNodes(theirs['items']);
    else report.problems.push(`${at}[]: KServe's is a list of items, ours has no item schema`);
  }
  return report;
}

function countNodes(schema: Schema): number {
  let n = 1;
  for (const sub of Object.values((schema['properties'] as Record<string, Schema> | undefined) ?? {})) {
    n += countNodes(sub);
  }
  if (isObject(schema['items'])) n += countNodes(schema['items']);
  if (isObject(schema['additionalProperties'])) n += countNodes(schema['additionalProperties']);
  return n;
}
