/**
 * Builds the OpenAPI 3.1 document from route descriptions ({@link ApiRoute}): paths in OpenAPI's
 * `{param}` syntax, parameters, bodies and answers as JSON Schema draft 2020-12 emitted by zod
 * (`z.toJSONSchema`) from the very schemas the handlers validate with, answer schemas as named
 * components, the one error body for every error status, and the two ways to sign in (bearer
 * token, session cookie). Pure: the same routes give the same document.
 *
 * @module
 */
import { z } from "zod";
import type { ApiRoute } from "./route.ts";
import { errorBodySchema } from "./schemas.ts";
import { SESSION_COOKIE } from "../auth/sessions.ts";
import { CSRF_HEADER } from "../security/csrf.ts";

/** A JSON Schema or OpenAPI object (plain JSON). */
export type JsonObject = { [key: string]: unknown };

/** What the document says about itself. */
export interface DocumentInfo {
  title: string;
  version: string;
  description?: string;
}

/** Sentences for the errors the document adds to every route of a kind. */
const COMMON_ERRORS = {
  input: "The input is invalid (`invalid_input`, `invalid_json`); `error.field` names it.",
  unauthenticated: "Not signed in, or the bearer token is not valid " +
    "(`unauthenticated`, `unauthorized`, `invalid_token`).",
  forbidden: "The caller's role may not do this (`forbidden`), the request came from another " +
    "site (`cross_site`), or a cookie-signed request lacks its CSRF token (`csrf`).",
  tooLarge: "The body is larger than this route takes (`payload_too_large`).",
  misdirected: "The Host header is not one blockboard serves (`misdirected`).",
  internal: "blockboard hit an unexpected error (`internal`); see the server log.",
};

/** Routes that call virsh can meet libvirt's refusals and outages. */
const VIRSH_ERRORS = {
  502: "libvirt refused the operation (`libvirt_refused`); the message is libvirt's.",
  503: "libvirt is not reachable or did not answer in time (`libvirt_unavailable`).",
};

/** Route descriptions that call virsh can spread these into their `errors`. */
export function virshErrors(): Record<number, string> {
  return { ...VIRSH_ERRORS };
}

/** `/api/v1/domains/:name` as `/api/v1/domains/{name}`. Pure. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** JSON Schema of a request part (what a client sends: zod's input side), without `$schema`. */
function inputSchema(schema: z.ZodType): JsonObject {
  const json = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
    // Refinements (a path's normal form, a name's byte length) have no JSON Schema: the
    // document states the shape, the handler still checks the rest and says what is wrong.
    unrepresentable: "any",
  }) as JsonObject;
  delete json.$schema;
  return json;
}

/** The answers' schemas as named components, each answer schema registered under `name`. */
class ComponentSet {
  readonly #registry = z.registry<{ id: string }>();
  readonly #names = new Map<z.ZodType, string>();

  /** The `$ref` for `schema`, registered under `name` unless it already has a name. */
  ref(schema: z.ZodType, name: string): JsonObject {
    let id = this.#names.get(schema);
    if (!id) {
      id = name;
      this.#names.set(schema, id);
      this.#registry.add(schema, { id });
    }
    return { $ref: `#/components/schemas/${id}` };
  }

  /** Names a schema up front, so every answer that holds it refers to it by name. */
  name(schema: z.ZodType, name: string): void {
    this.ref(schema, name);
  }

  /** The `components.schemas` object. */
  schemas(): JsonObject {
    const { schemas } = z.toJSONSchema(this.#registry, {
      target: "draft-2020-12",
      io: "output",
      unrepresentable: "any",
      uri: (id) => `#/components/schemas/${id}`,
    }) as { schemas: Record<string, JsonObject> };
    for (const schema of Object.values(schemas)) {
      delete schema.$schema;
      delete schema.$id;
    }
    return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  }
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The OpenAPI 3.1 document for `routes`. `named` gives component names to schemas that several
 * answers share (Domain, Disk, Job…), so they appear once. Throws on two routes with the same
 * method and path or the same operationId (a registry mistake, caught by the tests).
 */
export function buildOpenApiDocument(
  routes: readonly ApiRoute[],
  info: DocumentInfo,
  named: Record<string, z.ZodType> = {},
): JsonObject {
  const components = new ComponentSet();
  components.name(errorBodySchema, "Error");
  for (const [name, schema] of Object.entries(named)) components.name(schema, name);
  const errorContent = { "application/json": { schema: components.ref(errorBodySchema, "Error") } };

  const paths: Record<string, Record<string, JsonObject>> = {};
  const seenIds = new Set<string>();
  for (const route of routes) {
    const path = openApiPath(route.path);
    const item = paths[path] ??= {};
    if (item[route.method]) throw new Error(`two routes describe ${route.method} ${route.path}`);
    if (seenIds.has(route.operationId)) throw new Error(`operationId ${route.operationId} twice`);
    seenIds.add(route.operationId);

    const parameters: JsonObject[] = [];
    const pathNames = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
    for (const name of pathNames) {
      const schema = route.params?.[name];
      if (!schema) throw new Error(`${route.method} ${route.path}: no schema for :${name}`);
      parameters.push({ name, in: "path", required: true, schema: inputSchema(schema) });
    }
    if (route.query) {
      const query = inputSchema(route.query);
      const required = new Set((query.required as string[] | undefined) ?? []);
      const properties = (query.properties ?? {}) as Record<string, JsonObject>;
      for (const [name, schema] of Object.entries(properties)) {
        parameters.push({ name, in: "query", required: required.has(name), schema });
      }
    }

    const responses: Record<string, JsonObject> = {};
    for (const [status, answer] of Object.entries(route.responses)) {
      const response: JsonObject = { description: answer.description };
      if (answer.schema) {
        const name = `${capitalised(route.operationId)}${status}`;
        response.content = {
          [answer.contentType ?? "application/json"]: {
            schema: components.ref(answer.schema, name),
          },
        };
      } else if (answer.contentType) {
        response.content = { [answer.contentType]: { schema: { type: "string" } } };
      }
      if (answer.headers) {
        response.headers = Object.fromEntries(
          Object.entries(answer.headers).map((
            [name, description],
          ) => [name, { description, schema: { type: "string" } }]),
        );
      }
      responses[status] = response;
    }
    const errors: Record<number, string> = {};
    if (pathNames.length || route.query || route.body) errors[400] = COMMON_ERRORS.input;
    if (route.access !== "public") {
      errors[401] = COMMON_ERRORS.unauthenticated;
      errors[403] = COMMON_ERRORS.forbidden;
    }
    if (route.body) errors[413] = COMMON_ERRORS.tooLarge;
    errors[421] = COMMON_ERRORS.misdirected;
    errors[500] = COMMON_ERRORS.internal;
    Object.assign(errors, route.errors);
    for (const [status, description] of Object.entries(errors)) {
      // A route that answers a status otherwise (the login form's HTML) keeps its own answer.
      if (responses[status]) continue;
      responses[status] = { description, content: errorContent };
    }

    const operation: JsonObject = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      "x-blockboard-access": route.access,
      security: route.access === "public" ? [] : [{ bearerToken: [] }, { sessionCookie: [] }],
      ...(parameters.length ? { parameters } : {}),
      responses,
    };
    if (route.body) {
      operation.requestBody = {
        required: route.body.required,
        content: {
          [route.body.contentType ?? "application/json"]: {
            schema: inputSchema(route.body.schema),
          },
        },
      };
    }
    item[route.method] = operation;
  }

  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info,
    servers: [{ url: "/" }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components.schemas(),
      securitySchemes: {
        bearerToken: {
          type: "http",
          scheme: "bearer",
          description:
            "An API token (`deno task user token add NAME --role ROLE`, or BLOCKBOARD_TOKEN).",
        },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: SESSION_COOKIE,
          description: `The browser's session after POST /login. Requests other than GET/HEAD ` +
            `must also send the session's CSRF token in ${CSRF_HEADER}.`,
        },
      },
    },
  };
}
