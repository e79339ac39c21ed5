// The API server's OpenAPI documents for the kinds inferd serves, in the shapes kubectl reads:
//   /openapi/v3                      {"paths": {"apis/serving.kserve.io/v1beta1": {"serverRelativeURL": ...}}}
//   /openapi/v3/apis/{group}/{ver}   an OpenAPI 3.0 document per group-version (/openapi/v3/api/v1 for core)
//   /openapi/v2                      one Swagger 2.0 document for everything (JSON only: no protobuf)
// kubectl apply reads the v3 PATCH operations: `fieldValidation` among their query parameters means "the
// server validates" (so kubectl does not validate client-side), and the patch media types they accept
// tell it which patch to send (no strategic merge patch for the KServe kinds, as for any CRD).

import { createHash } from 'node:crypto';
import { KINDS, type KindInfo } from '../api/types.js';
import { groupVersionKind, kindSchemas, META_SCHEMAS, type Schema, schemaName } from './openapi-schemas.js';
import { groupVersionPrefix } from './routes.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const JSON_TYPES = ['application/json', 'application/yaml'];
const CRD_PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];
const CORE_PATCH_TYPES = [...CRD_PATCH_TYPES, 'application/strategic-merge-patch+json'];

interface Parameter {
  name: string;
  in: 'path' | 'query';
  description?: string;
  required?: boolean;
  schema: Schema;
}

const pathParam = (name: string, description: string): Parameter => ({
  name,
  in: 'path',
  description,
  required: true,
  schema: { type: 'string', uniqueItems: true },
});
const query = (name: string, description: string, type = 'string'): Parameter => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const DRY_RUN = query('dryRun', "When present, indicates that modifications should not be persisted: 'All'.");
const FIELD_MANAGER = query('fieldManager', 'a name associated with the actor or entity that is making these changes');
const FIELD_VALIDATION = query(
  'fieldValidation',
  'Ignore, Warn or Strict: how the server treats unknown or duplicate fields (inferd validates every write)',
);
const LIST_PARAMS = [
  query('labelSelector', 'A selector to restrict the list of returned objects by their labels.'),
  query('fieldSelector', 'A selector to restrict the list of returned objects by their fields.'),
  query('resourceVersion', 'where a watch starts'),
  query('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  query('watch', 'Watch for changes to the described resources.', 'boolean'),
];

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function content(types: readonly string[], schema: Schema) {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function response(description: string, schema: Schema) {
  return { description, content: content(JSON_TYPES, schema) };
}

function operation(
  kind: KindInfo,
  action: string,
  verb: string,
  opts: { parameters?: Parameter[]; body?: { types: readonly string[]; schema: Schema }; result: Schema; code: string },
) {
  const scope = kind.namespaced ? 'Namespaced' : '';
  return {
    tags: [kind.apiVersion.replace(/[./]/g, '_')],
    description: `${action} ${kind.kind}`,
    operationId: `${verb}${scope}${kind.kind}`,
    ...(opts.parameters?.length ? { parameters: opts.parameters } : {}),
    ...(opts.body ? { requestBody: { content: content(opts.body.types, opts.body.schema), required: true } } : {}),
    responses: { [opts.code]: response('OK', opts.result), '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': groupVersionKind(kind),
  };
}

/** The paths of one kind: collection, object, status, and the all-namespaces list for namespaced kinds. */
function kindPaths(kind: KindInfo): Record<string, unknown> {
  const base = groupVersionPrefix(kind.apiVersion);
  const collection = kind.namespaced ? `${base}/namespaces/{namespace}/${kind.plural}` : `${base}/${kind.plural}`;
  const item = ref(schemaName(kind));
  const list = ref(schemaName(kind, 'List'));
  const scopeParams = kind.namespaced ? [pathParam('namespace', 'object name and auth scope')] : [];
  const patchTypes = kind.apiVersion.includes('/') ? CRD_PATCH_TYPES : CORE_PATCH_TYPES;
  const writeParams = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  const patchBody = { types: patchTypes, schema: ref(`${META}.Patch`) };
  const paths: Record<string, unknown> = {
    [collection]: {
      get: operation(kind, 'list', 'list', { parameters: LIST_PARAMS, result: list, code: '200' }),
      post: operation(kind, 'post', 'create', {
        parameters: writeParams,
        body: { types: JSON_TYPES, schema: item },
        result: item,
        code: '201',
      }),
      delete: operation(kind, 'deletecollection', 'deletecollection', {
        parameters: LIST_PARAMS,
        result: ref(`${META}.Status`),
        code: '200',
      }),
      parameters: scopeParams,
    },
    [`${collection}/{name}`]: {
      get: operation(kind, 'get', 'read', { result: item, code: '200' }),
      put: operation(kind, 'put', 'replace', {
        parameters: writeParams,
        body: { types: JSON_TYPES, schema: item },
        result: item,
        code: '200',
      }),
      patch: operation(kind, 'patch', 'patch', { parameters: writeParams, body: patchBody, result: item, code: '200' }),
      delete: operation(kind, 'delete', 'delete', { parameters: [DRY_RUN], result: item, code: '200' }),
      parameters: [pathParam('name', `name of the ${kind.kind}`), ...scopeParams],
    },
  };
  if (kind.hasStatus) {
    paths[`${collection}/{name}/status`] = {
      get: operation(kind, 'get', 'read', { result: item, code: '200' }),
      patch: operation(kind, 'patch', 'patch', { parameters: writeParams, body: patchBody, result: item, code: '200' }),
      put: operation(kind, 'put', 'replace', {
        parameters: writeParams,
        body: { types: JSON_TYPES, schema: item },
        result: item,
        code: '200',
      }),
      parameters: [pathParam('name', `name of the ${kind.kind}`), ...scopeParams],
    };
  }
  if (kind.namespaced) {
    paths[`${base}/${kind.plural}`] = {
      get: operation(kind, 'list', 'list', { parameters: LIST_PARAMS, result: list, code: '200' }),
    };
  }
  return paths;
}

/** `api/v1`, `apis/serving.kserve.io/v1beta1`, ...: the group-versions served, as /openapi/v3 names them. */
function groupVersionKeys(): Map<string, KindInfo[]> {
  const out = new Map<string, KindInfo[]>();
  for (const k of KINDS) {
    const key = groupVersionPrefix(k.apiVersion).slice(1);
    out.set(key, [...(out.get(key) ?? []), k]);
  }
  return out;
}

/** The OpenAPI 3.0 document of one group-version (`api/v1`, `apis/serving.kserve.io/v1beta1`), or undefined. */
export function openApiV3Document(gvKey: string, serverVersion: string): unknown {
  const kinds = groupVersionKeys().get(gvKey);
  if (!kinds) return undefined;
  const schemas: Record<string, Schema> = { ...META_SCHEMAS };
  let paths: Record<string, unknown> = {};
  for (const k of kinds) {
    Object.assign(schemas, kindSchemas(k));
    paths = { ...paths, ...kindPaths(k) };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'inferd', version: `v${serverVersion}` },
    paths,
    components: { schemas },
  };
}

const hashOf = (doc: unknown) => createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();

/** `GET /openapi/v3`: where each group-version's document is (the hash lets clients cache it). */
export function openApiV3Root(serverVersion: string): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const key of groupVersionKeys().keys()) {
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(openApiV3Document(key, serverVersion))}` };
  }
  return { paths };
}

/** Rewrites an OpenAPI 3 fragment into Swagger 2.0 terms: `#/definitions/` references. */
function toV2Refs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toV2Refs);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', '#/definitions/') : toV2Refs(v);
  }
  return out;
}

interface V3Operation {
  requestBody?: { content: Record<string, { schema: Schema }> };
  parameters?: Parameter[];
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  [other: string]: unknown;
}

function v2Operation(op: V3Operation) {
  const { requestBody, parameters, responses, ...rest } = op;
  const params: unknown[] = (parameters ?? []).map(({ schema, ...p }) => ({ ...p, type: schema['type'] }));
  if (requestBody) {
    const first = Object.values(requestBody.content)[0]!;
    params.push({ name: 'body', in: 'body', required: true, schema: first.schema });
  }
  return {
    ...rest,
    consumes: requestBody ? Object.keys(requestBody.content) : ['*/*'],
    produces: JSON_TYPES,
    schemes: ['https'],
    ...(params.length ? { parameters: params } : {}),
    responses: Object.fromEntries(
      Object.entries(responses).map(([code, r]) => [
        code,
        { description: r.description, ...(r.content ? { schema: Object.values(r.content)[0]!.schema } : {}) },
      ]),
    ),
  };
}

/** `GET /openapi/v2`: one Swagger 2.0 document for every served group-version. */
export function openApiV2Document(serverVersion: string): unknown {
  const definitions: Record<string, Schema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  for (const key of groupVersionKeys().keys()) {
    const doc = openApiV3Document(key, serverVersion) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, Schema> };
    };
    Object.assign(definitions, doc.components.schemas);
    for (const [path, item] of Object.entries(doc.paths)) {
      paths[path] = Object.fromEntries(
        Object.entries(item).map(([method, op]) =>
          method === 'parameters'
            ? [method, (op as Parameter[]).map(({ schema, ...p }) => ({ ...p, type: schema['type'] }))]
            : [method, v2Operation(op as V3Operation)],
        ),
      );
    }
  }
  return toV2Refs({ swagger: '2.0', info: { title: 'inferd', version: `v${serverVersion}` }, paths, definitions });
}
