/**
 * Check recorded Clerk emulator traffic against Clerk's published OpenAPI
 * contracts (https://github.com/clerk/openapi-specs):
 *
 *   node --import tsx tools/clerk-emulator/check-openapi.ts \
 *     --bapi <path to bapi/2026-05-12.yml> --webhooks <path to webhooks/2025-04-15.yml> \
 *     --recording <file.jsonl>
 *
 * The specs are read at run time from the paths given and never stored in
 * this project. Each line of the recording is one JSON object:
 *
 *   {"kind":"response","method":"GET","path":"/v1/users/user_abc","query":"","status":200,"body":{...}}
 *   {"kind":"webhook","type":"user.created","payload":{"data":{...},"object":"event","type":"user.created",...}}
 *
 * A response is validated against the schema of its operation's response
 * (exact status, else `4XX`-style, else `default`); a webhook against its
 * event's request body in the webhooks spec's `x-webhooks`, which is keyed
 * by event type. An answer the contract has no schema for is a finding too.
 * A webhook error that the event's own example in the spec has as well is
 * printed as a NOTE (the spec's defect), not counted as a finding.
 *
 * Exit code: 0 when everything conforms, 1 on any finding, 2 when the
 * check cannot run (usage, unreadable spec or recording).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { CORE_SCHEMA, load } from 'js-yaml';

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject {
  [key: string]: Json;
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The check cannot run: bad arguments or unreadable input. Exit code 2. */
class InputError extends Error {}

const USAGE = `Usage:
  node --import tsx tools/clerk-emulator/check-openapi.ts \\
    --bapi <bapi/2026-05-12.yml> --webhooks <webhooks/2025-04-15.yml> --recording <file.jsonl>

Validates each recorded Backend API response and webhook payload (JSON lines:
{"kind":"response",method,path,status,body} or {"kind":"webhook",type,payload})
against Clerk's published OpenAPI specs, read from the given paths.
Exit code: 0 all conform, 1 findings, 2 usage or input error.`;

// ---------------------------------------------------------------------------
// Command line and input

interface Options {
  bapi: string;
  webhooks: string;
  recording: string;
}

function parseOptions(argv: string[]): Options | 'help' {
  let values: { bapi?: string; webhooks?: string; recording?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        bapi: { type: 'string' },
        webhooks: { type: 'string' },
        recording: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new InputError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return 'help';
  const missing = (['bapi', 'webhooks', 'recording'] as const).filter((name) => !values[name]);
  if (missing.length > 0) throw new InputError(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
  return { bapi: values.bapi!, webhooks: values.webhooks!, recording: values.recording! };
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function loadSpec(path: string, what: string, required: string[]): JsonObject {
  let doc: unknown;
  try {
    // CORE_SCHEMA keeps the document JSON (no YAML timestamps turned into Dates).
    doc = load(readText(path, what), { filename: path, schema: CORE_SCHEMA });
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`${what} ${path} is not valid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isObject(doc) || typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.')) {
    throw new InputError(`${what} ${path} is not an OpenAPI 3 document`);
  }
  if (!required.some((key) => isObject(doc[key]))) {
    throw new InputError(`${what} ${path} has no ${required.join(' or ')}`);
  }
  return doc;
}

interface ResponseRecord {
  kind: 'response';
  line: number;
  method: string;
  path: string;
  status: number;
  body: Json;
}

interface WebhookRecord {
  kind: 'webhook';
  line: number;
  type: string;
  payload: Json;
}

type TrafficRecord = ResponseRecord | WebhookRecord;

function parseRecording(text: string, file: string): TrafficRecord[] {
  const records: TrafficRecord[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let entry: unknown;
    try {
      entry = JSON.parse(raw);
    } catch (error) {
      throw new InputError(`${file}:${line}: not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!isObject(entry)) throw new InputError(`${file}:${line}: not a JSON object`);
    if (entry.kind === 'response') {
      const { method, path, status } = entry;
      if (typeof method !== 'string' || typeof path !== 'string' || typeof status !== 'number') {
        throw new InputError(`${file}:${line}: a response needs string "method" and "path" and numeric "status"`);
      }
      records.push({ kind: 'response', line, method: method.toUpperCase(), path, status, body: entry.body ?? null });
    } else if (entry.kind === 'webhook') {
      if (typeof entry.type !== 'string' || !isObject(entry.payload)) {
        throw new InputError(`${file}:${line}: a webhook needs a string "type" and an object "payload"`);
      }
      records.push({ kind: 'webhook', line, type: entry.type, payload: entry.payload });
    } else {
      throw new InputError(`${file}:${line}: "kind" must be "response" or "webhook"`);
    }
  });
  return records;
}

// ---------------------------------------------------------------------------
// JSON pointers and local $refs

function refToPointer(ref: string): string[] {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((part) => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `#/a/b` for Ajv; segments are ~-escaped and percent-encoded (path templates hold `{}`). */
function pointerToRef(pointer: string[]): string {
  return `#/${pointer.map((part) => encodeURIComponent(part.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;
}

function at(doc: Json, pointer: string[]): Json | undefined {
  let node: Json | undefined = doc;
  for (const part of pointer) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isObject(node)) node = node[part];
    else return undefined;
  }
  return node;
}

/** Follow OpenAPI `$ref`s (to components/responses, requestBodies, …) to the object and where it lives. */
function follow(doc: JsonObject, node: Json | undefined, pointer: string[]): { node: JsonObject; pointer: string[] } | undefined {
  for (let hops = 0; hops < 20; hops++) {
    if (!isObject(node)) return undefined;
    if (typeof node.$ref !== 'string') return { node, pointer };
    pointer = refToPointer(node.$ref);
    node = at(doc, pointer);
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// OpenAPI 3.0 schemas made JSON Schema (draft-07) for Ajv

const SUBSCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions']);
const SUBSCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf']);
const SUBSCHEMA_SINGLE = new Set(['items', 'additionalProperties', 'not', 'if', 'then', 'else']);
const COMPOSITION = ['$ref', 'allOf', 'anyOf', 'oneOf', 'not', 'enum'];

const mapValues = (object: JsonObject, fn: (value: Json) => Json): JsonObject =>
  Object.fromEntries(Object.entries(object).map(([key, value]) => [key, fn(value)]));

/**
 * One schema, made checkable by Ajv with OpenAPI 3.0's meaning:
 * - boolean `exclusiveMinimum`/`exclusiveMaximum` become draft-07 numbers;
 * - `discriminator` picks the branch by its tag (Ajv's own `discriminator`
 *   rejects the spec's usage: it has `mapping`, and the tag is not required);
 *   without the tag, the plain `oneOf` decides;
 * - `nullable: true` is left to Ajv where it can (next to `type`), and
 *   elsewhere (with `$ref`/`allOf`/`oneOf`/`enum`, or without `type`)
 *   becomes "null, or else the rest of the schema".
 */
function normaliseSchema(schema: Json, doc: JsonObject): Json {
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (SUBSCHEMA_MAPS.has(key) && isObject(value)) out[key] = mapValues(value, (sub) => normaliseSchema(sub, doc));
    else if (SUBSCHEMA_LISTS.has(key) && Array.isArray(value)) out[key] = value.map((sub) => normaliseSchema(sub, doc));
    else if (SUBSCHEMA_SINGLE.has(key)) out[key] = Array.isArray(value) ? value.map((sub) => normaliseSchema(sub, doc)) : normaliseSchema(value, doc);
    else out[key] = value;
  }
  convertExclusiveBounds(out, 'exclusiveMinimum', 'minimum');
  convertExclusiveBounds(out, 'exclusiveMaximum', 'maximum');
  return rewriteNullable(rewriteDiscriminator(out, doc));
}

function convertExclusiveBounds(schema: JsonObject, exclusive: string, bound: string): void {
  if (typeof schema[exclusive] !== 'boolean') return;
  if (schema[exclusive] === true && typeof schema[bound] === 'number') {
    schema[exclusive] = schema[bound];
    delete schema[bound];
  } else {
    delete schema[exclusive];
  }
}

function tagValues(schema: Json | undefined, tag: string): string[] {
  const property = isObject(schema) && isObject(schema.properties) ? schema.properties[tag] : undefined;
  if (!isObject(property)) return [];
  if (typeof property.const === 'string') return [property.const];
  return Array.isArray(property.enum) ? property.enum.filter((value): value is string => typeof value === 'string') : [];
}

function rewriteDiscriminator(schema: JsonObject, doc: JsonObject): JsonObject {
  const { discriminator, ...rest } = schema;
  if (!isObject(discriminator)) return schema;
  const tag = discriminator.propertyName;
  const keyword = Array.isArray(rest.oneOf) ? 'oneOf' : 'anyOf';
  const branches = rest[keyword];
  if (typeof tag !== 'string' || !Array.isArray(branches)) return rest;

  const byValue = new Map<string, Json>();
  if (isObject(discriminator.mapping)) {
    for (const [value, target] of Object.entries(discriminator.mapping)) {
      if (typeof target === 'string') byValue.set(value, { $ref: target.startsWith('#') ? target : `#/components/schemas/${target}` });
    }
  }
  for (const branch of branches) {
    const ref = isObject(branch) && typeof branch.$ref === 'string' ? branch.$ref : undefined;
    const values = tagValues(ref ? at(doc, refToPointer(ref)) : branch, tag);
    // OpenAPI's implicit mapping: the referenced schema's name is the tag value.
    if (values.length === 0 && ref) values.push(ref.slice(ref.lastIndexOf('/') + 1));
    for (const value of values) if (!byValue.has(value)) byValue.set(value, branch);
  }
  if (byValue.size === 0) return rest;

  const { [keyword]: _branches, ...others } = rest;
  const byTag: JsonObject = {
    if: { type: 'object', required: [tag] },
    then: {
      properties: { [tag]: { enum: [...byValue.keys()] } },
      allOf: [...byValue].map(([value, branch]) => ({ if: { properties: { [tag]: { const: value } } }, then: branch })),
    },
    else: { [keyword]: branches },
  };
  return { ...others, allOf: [...(Array.isArray(others.allOf) ? others.allOf : []), byTag] };
}

function rewriteNullable(schema: JsonObject): JsonObject {
  if (schema.nullable !== true) return schema;
  const { nullable: _nullable, ...rest } = schema;
  const ajvHandlesIt = 'type' in rest && !COMPOSITION.some((keyword) => keyword in rest);
  return ajvHandlesIt ? schema : { if: { type: 'null' }, else: rest };
}

/** The whole document with every schema in it normalised (examples left as they are). */
function normaliseDocument(doc: JsonObject): JsonObject {
  const visit = (node: Json, path: string[]): Json => {
    if (Array.isArray(node)) return node.map((item, index) => visit(item, [...path, String(index)]));
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (key === 'example' || key === 'examples') out[key] = value;
      else if (key === 'schema') out[key] = normaliseSchema(value, doc);
      else if (path.length === 1 && path[0] === 'components' && key === 'schemas' && isObject(value)) {
        out[key] = mapValues(value, (schema) => normaliseSchema(schema, doc));
      } else out[key] = visit(value, [...path, key]);
    }
    return out;
  };
  return visit(doc, []) as JsonObject;
}

// ---------------------------------------------------------------------------
// Validation with Ajv

class Validators {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly cache = new Map<string, ValidateFunction>();

  /** Adds the whole (normalised) document under `id`, so `#/components/...` refs resolve inside it. */
  addDocument(id: string, doc: JsonObject): void {
    this.ajv.addSchema({ ...normaliseDocument(doc), $id: id });
  }

  /** The validator of the schema at `pointer` inside document `id`. */
  at(id: string, pointer: string[]): ValidateFunction {
    const ref = `${id}${pointerToRef(pointer)}`;
    let validate = this.cache.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.cache.set(ref, validate);
    }
    return validate;
  }
}

/** The instance path with array indexes as `*`, so the same defect in every list item is one finding. */
function generalisePath(data: Json, instancePath: string): string {
  if (instancePath === '') return '/';
  let node: Json | undefined = data;
  const parts = instancePath
    .slice(1)
    .split('/')
    .map((raw) => {
      const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      const shown = Array.isArray(node) ? '*' : raw;
      node = Array.isArray(node) ? node[Number(part)] : isObject(node) ? node[part] : undefined;
      return shown;
    });
  return `/${parts.join('/')}`;
}

function formatParam(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(formatParam).join(', ');
  return JSON.stringify(value);
}

function describeError(error: ErrorObject, data: Json): string {
  const message =
    error.keyword === 'additionalProperties'
      ? `must NOT have additional property '${String(error.params.additionalProperty)}'`
      : (error.message ?? error.keyword);
  const params = Object.entries(error.params)
    .map(([key, value]) => `${key}: ${formatParam(value)}`)
    .join(', ');
  return `${generalisePath(data, error.instancePath)} ${message}${params ? ` (${params})` : ''}`;
}

/** Ajv's errors, without the "must match then/else schema" wrappers that only repeat the errors inside them. */
function validationErrors(validate: ValidateFunction, data: Json): string[] {
  if (validate(data)) return [];
  const errors = (validate.errors ?? []).filter((error) => error.keyword !== 'if');
  return errors.length > 0 ? errors.map((error) => describeError(error, data)) : ['/ does not match the schema'];
}

// ---------------------------------------------------------------------------
// Backend API: routes and responses

interface Route {
  template: string;
  segments: Array<{ literal: string } | { pattern: RegExp }>;
  /** Per segment: 2 literal, 1 partly templated, 0 parameter; a higher rank wins. */
  rank: number[];
}

function compileRoutes(paths: JsonObject): Route[] {
  return Object.keys(paths).map((template) => {
    const parts = template.split('/').slice(1);
    return {
      template,
      segments: parts.map((part) => {
        if (!part.includes('{')) return { literal: part };
        const source = part
          .split(/(\{[^}]+\})/)
          .map((piece) => (/^\{[^}]+\}$/.test(piece) ? '([^/]+)' : piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
          .join('');
        return { pattern: new RegExp(`^${source}$`) };
      }),
      rank: parts.map((part) => (!part.includes('{') ? 2 : /^\{[^}]+\}$/.test(part) ? 0 : 1)),
    };
  });
}

const outranks = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0);
  return false;
};

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The path template the path falls under, literal segments preferred over parameters (`/users/count` over `/users/{user_id}`). */
function matchRoute(routes: Route[], path: string): Route | undefined {
  const segments = path.split('/').slice(1).map(decodeSegment);
  let best: Route | undefined;
  for (const route of routes) {
    if (route.segments.length !== segments.length) continue;
    const fits = route.segments.every((matcher, i) => {
      const segment = segments[i] ?? '';
      return 'literal' in matcher ? matcher.literal === segment : segment !== '' && matcher.pattern.test(segment);
    });
    if (fits && (!best || outranks(route.rank, best.rank))) best = route;
  }
  return best;
}

/** The path under the spec's server URL (`https://api.clerk.com/v1` → strip `/v1`), without query or trailing slash. */
function specPath(recorded: string, serverBase: string): string {
  let path = recorded.split('?')[0] ?? '';
  if (serverBase && (path === serverBase || path.startsWith(`${serverBase}/`))) path = path.slice(serverBase.length);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path.startsWith('/') ? path : `/${path}`;
}

function serverBasePath(doc: JsonObject): string {
  const server = Array.isArray(doc.servers) ? doc.servers[0] : undefined;
  if (!isObject(server) || typeof server.url !== 'string') return '';
  return new URL(server.url, 'http://localhost').pathname.replace(/\/+$/, '');
}

/** The responses key for a status: exact, else `4XX`-style, else `default`. */
function responseKey(responses: JsonObject, status: number): string | undefined {
  const exact = String(status);
  const range = `${exact[0]}XX`;
  return [exact, ...Object.keys(responses).filter((key) => key.toUpperCase() === range), 'default'].find((key) => key in responses);
}

/** The JSON media type of a content map: `application/json`, else any `…+json`. */
function jsonMediaType(content: JsonObject): string | undefined {
  if ('application/json' in content) return 'application/json';
  return Object.keys(content).find((type) => /^application\/([\w.-]+\+)?json\b/i.test(type));
}

const isEmptyBody = (body: Json) => body === null || body === '';

// ---------------------------------------------------------------------------
// Findings

interface Finding {
  text: string;
  count: number;
  firstLine: number;
}

class Findings {
  private readonly byText = new Map<string, Finding>();
  private readonly failedLines = new Set<number>();

  add(line: number, text: string): void {
    this.failedLines.add(line);
    const finding = this.byText.get(text);
    if (finding) finding.count++;
    else this.byText.set(text, { text, count: 1, firstLine: line });
  }

  get failures(): number {
    return this.failedLines.size;
  }

  get distinct(): number {
    return this.byText.size;
  }

  lines(): string[] {
    return [...this.byText.values()].map(({ text, count, firstLine }) =>
      count > 1 ? `${text} [×${count}, first at line ${firstLine}]` : `${text} [line ${firstLine}]`,
    );
  }
}

// ---------------------------------------------------------------------------
// The check

const BAPI_ID = 'clerk-openapi:bapi';
const WEBHOOKS_ID = 'clerk-openapi:webhooks';

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function checkResponse(record: ResponseRecord, bapi: JsonObject, routes: Route[], serverBase: string, validators: Validators, findings: Findings, operations: Set<string>): void {
  const path = specPath(record.path, serverBase);
  const fail = (subject: string, detail: string) => findings.add(record.line, `FAIL response ${subject} ${record.status}: ${detail}`);
  const route = matchRoute(routes, path);
  if (!route) return fail(`${record.method} ${path}`, `no path template in the spec matches ${path}`);

  const subject = `${record.method} ${route.template}`;
  const pathItem = follow(bapi, at(bapi, ['paths', route.template]), ['paths', route.template]);
  const method = record.method.toLowerCase();
  const operation = pathItem && isObject(pathItem.node[method]) ? pathItem.node[method] : undefined;
  if (!pathItem || !operation) {
    const known = pathItem ? Object.keys(pathItem.node).filter((key) => isObject(pathItem.node[key]) && isObject(pathItem.node[key].responses)) : [];
    return fail(subject, `no ${record.method} operation for this path (spec has: ${known.map((key) => key.toUpperCase()).join(', ') || 'none'})`);
  }
  operations.add(subject);

  const responses = isObject(operation.responses) ? operation.responses : {};
  const key = responseKey(responses, record.status);
  if (key === undefined) return fail(subject, `no response for status ${record.status} (spec has: ${Object.keys(responses).join(', ') || 'none'})`);
  const response = follow(bapi, responses[key], [...pathItem.pointer, method, 'responses', key]);
  if (!response) return fail(subject, `response ${key} cannot be resolved`);

  const content = isObject(response.node.content) ? response.node.content : undefined;
  if (!content || Object.keys(content).length === 0) {
    if (!isEmptyBody(record.body)) fail(subject, `the spec's response ${key} has no body, but one was recorded`);
    return;
  }
  const mediaType = jsonMediaType(content);
  if (!mediaType) return fail(subject, `the spec's response ${key} has no JSON body (content: ${Object.keys(content).join(', ')})`);
  const media = content[mediaType];
  if (!isObject(media) || media.schema === undefined) return;

  const validate = validators.at(BAPI_ID, [...response.pointer, 'content', mediaType, 'schema']);
  for (const error of validationErrors(validate, record.body)) fail(subject, error);
}

/**
 * What the spec itself breaks: an error that the event's own `example` has
 * too is the spec's defect, not the payload's (`organizationInvitation.accepted`
 * is an `allOf` of a closed object and a branch requiring `user_id` and a
 * nested `data`: nothing passes it, its example included). Reported as notes,
 * never as failures; any other error still fails.
 */
function exampleErrors(media: Json | undefined, validate: ValidateFunction): Set<string> {
  const example = isObject(media) ? media.example : undefined;
  return new Set(example === undefined ? [] : validationErrors(validate, example));
}

function checkWebhook(record: WebhookRecord, webhooks: JsonObject, validators: Validators, findings: Findings, specDefects: Set<string>): void {
  const fail = (detail: string) => findings.add(record.line, `FAIL webhook ${record.type}: ${detail}`);
  const section = isObject(webhooks['x-webhooks']) ? 'x-webhooks' : 'webhooks';
  const entry = at(webhooks, [section, record.type]);
  if (!isObject(entry)) return fail(`no ${section} entry for event type ${record.type}`);
  const method = isObject(entry.post)
    ? 'post'
    : Object.keys(entry).find((key) => {
        const operation = entry[key];
        return isObject(operation) && 'requestBody' in operation;
      });
  const body = method ? follow(webhooks, at(webhooks, [section, record.type, method, 'requestBody']), [section, record.type, method, 'requestBody']) : undefined;
  const content = body && isObject(body.node.content) ? body.node.content : undefined;
  const mediaType = content ? jsonMediaType(content) : undefined;
  if (!body || !mediaType) return fail(`the spec's ${section} entry for ${record.type} has no JSON request body`);

  if (isObject(record.payload) && record.payload.type !== record.type) {
    fail(`/type is ${JSON.stringify(record.payload.type)}, but the event was recorded as ${record.type}`);
  }
  const validate = validators.at(WEBHOOKS_ID, [...body.pointer, 'content', mediaType, 'schema']);
  const defects = exampleErrors(content?.[mediaType], validate);
  for (const error of validationErrors(validate, record.payload)) {
    if (defects.has(error)) specDefects.add(`NOTE webhook ${record.type}: ${error} (the spec's own example fails this too)`);
    else fail(error);
  }
}

function run(argv: string[]): number {
  const options = parseOptions(argv);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const bapi = loadSpec(options.bapi, 'Backend API spec', ['paths']);
  const webhooks = loadSpec(options.webhooks, 'webhooks spec', ['x-webhooks', 'webhooks']);
  const records = parseRecording(readText(options.recording, 'recording'), options.recording);

  const validators = new Validators();
  validators.addDocument(BAPI_ID, bapi);
  validators.addDocument(WEBHOOKS_ID, webhooks);
  const routes = compileRoutes(isObject(bapi.paths) ? bapi.paths : {});
  const serverBase = serverBasePath(bapi);

  const findings = new Findings();
  const specDefects = new Set<string>();
  const operations = new Set<string>();
  const eventTypes = new Set<string>();
  let responseCount = 0;
  for (const record of records) {
    if (record.kind === 'response') {
      responseCount++;
      checkResponse(record, bapi, routes, serverBase, validators, findings, operations);
    } else {
      eventTypes.add(record.type);
      checkWebhook(record, webhooks, validators, findings, specDefects);
    }
  }

  for (const line of findings.lines()) console.log(line);
  for (const line of specDefects) console.log(line);
  console.log(
    `checked ${plural(responseCount, 'response')} over ${plural(operations.size, 'operation')}, ` +
      `${plural(records.length - responseCount, 'webhook')} over ${plural(eventTypes.size, 'type')}, ` +
      `${plural(findings.failures, 'failure')} (${plural(findings.distinct, 'distinct finding')})`,
  );
  return findings.failures > 0 ? 1 : 0;
}

try {
  process.exitCode = run(process.argv.slice(2));
} catch (error) {
  // Exit code 1 means findings; anything that stops the check itself is 2.
  if (error instanceof InputError) console.error(`check-openapi: ${error.message}\n\n${USAGE}`);
  else console.error('check-openapi: the check failed to run:', error);
  process.exitCode = 2;
}
