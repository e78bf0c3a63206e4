/**
 * Checks a real answer against the OpenAPI document: the schema the document gives for that
 * path, method, status and media type, applied with Ajv's draft 2020-12 validator (the dialect
 * OpenAPI 3.1 uses). An answer whose status the document does not list fails too.
 *
 * @module
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { openApiPath } from "../../server/openapi/document.ts";

/** A JSON Pointer segment (RFC 6901) inside a URI fragment. */
const pointer = (segment: string) =>
  encodeURIComponent(segment.replaceAll("~", "~0").replaceAll("/", "~1"));

/** Validates answers against `document` (the parsed `/api/v1/openapi.json`). */
export function answerChecker(document: Record<string, unknown>) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document, "openapi.json");
  const paths = document.paths as Record<string, Record<string, { responses: object }>>;
  return {
    /**
     * Throws, naming the route and Ajv's errors, unless `body` matches the document's schema
     * for `method honoPath` answering `status` (`honoPath` in Hono's `:param` syntax).
     */
    check(method: string, honoPath: string, status: number, body: unknown): void {
      const path = openApiPath(honoPath);
      const responses = paths[path]?.[method.toLowerCase()]?.responses as
        | Record<string, { content?: Record<string, unknown> }>
        | undefined;
      const where = `${method.toUpperCase()} ${path} ${status}`;
      if (!responses) throw new Error(`${method.toUpperCase()} ${path} is not in the document`);
      if (!responses[String(status)]) {
        throw new Error(`${where} is not documented (documented: ${Object.keys(responses)})`);
      }
      if (!responses[String(status)].content?.["application/json"]) {
        throw new Error(`${where} has no JSON body in the document`);
      }
      const ref =
        `openapi.json#/paths/${pointer(path)}/${method.toLowerCase()}/responses/${status}` +
        `/content/${pointer("application/json")}/schema`;
      const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
      if (!validate(body)) {
        throw new Error(
          `${where}: the answer does not match the document: ${ajv.errorsText(validate.errors)}\n` +
            JSON.stringify(body).slice(0, 2000),
        );
      }
    },
  };
}
