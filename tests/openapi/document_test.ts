/**
 * The OpenAPI document: valid OpenAPI 3.1 (checked by an OpenAPI schema validator), every route
 * the app serves under /api described and every described route served, request schemas that
 * refuse what the handlers refuse, and `GET /api/v1/openapi.json` behind sign-in.
 */
import { assert, assertEquals } from "@std/assert";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { API_ROUTES, apiDocument, apiDocumentText } from "../../server/openapi/registry.ts";
import { buildOpenApiDocument, openApiPath } from "../../server/openapi/document.ts";
import { apiRoute } from "../../server/openapi/route.ts";
import { copyRequestBody } from "../../server/volumes/remote_copy.ts";
import { FakeRunner } from "../support/fake_runner.ts";
import { testSecurity } from "../support/security.ts";

const HOST = "127.0.0.1:8080";

Deno.test("the document is valid OpenAPI 3.1", async () => {
  const validator = new Validator();
  const result = await validator.validate(apiDocument());
  assertEquals(result, { valid: true });
  assertEquals(validator.version, "3.1");
});

Deno.test("the validator does refuse a broken document (the test above can fail)", async () => {
  const doc = structuredClone(apiDocument()) as { paths: Record<string, Record<string, object>> };
  delete (doc.paths["/api/v1/domains"].get as { responses?: unknown }).responses;
  doc.paths["/api/v1/domains"].get = { ...doc.paths["/api/v1/domains"].get, tags: "jobs" };
  const result = await new Validator().validate(doc);
  assertEquals(result.valid, false);
});

Deno.test("every /api route the app serves is in the registry, and every described route is served", () => {
  const app = createApp({ ...createServices(new FakeRunner()), security: testSecurity() });
  // Host-scoped routes are served once per configured host (here the one host, "local") and
  // described once with a `{host}` parameter.
  const served = new Set(
    app.routes.filter((r) => r.method !== "ALL").map((r) =>
      `${r.method} ${r.path.replace(/^\/api\/v1\/hosts\/local(?=\/)/, "/api/v1/hosts/:host")}`
    ),
  );
  const described = new Set(API_ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`));
  const undocumented = [...served].filter((r) => r.split(" ")[1].startsWith("/api/"))
    .filter((r) => !described.has(r));
  assertEquals(
    undocumented,
    [],
    `routes served under /api with no description: add their apiRoute(...) list to ` +
      `server/openapi/registry.ts (API_ROUTES): ${undocumented.join(", ")}`,
  );
  const unserved = [...described].filter((r) => !served.has(r));
  assertEquals(unserved, [], `described but not served: ${unserved.join(", ")}`);
});

Deno.test("every path parameter has a schema, every operation an id, every error the error body", () => {
  const doc = apiDocument() as {
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  };
  for (const route of API_ROUTES) {
    const op = doc.paths[openApiPath(route.path)][route.method] as {
      parameters?: { name: string; in: string }[];
      responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
    };
    const inPath = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
    assertEquals(op.parameters?.filter((p) => p.in === "path").map((p) => p.name) ?? [], inPath);
    for (const [status, answer] of Object.entries(op.responses)) {
      const json = answer.content?.["application/json"]?.schema.$ref;
      if (Number(status) >= 400 && json) {
        assertEquals(json, "#/components/schemas/Error", `${route.operationId} ${status}`);
      }
    }
    if (route.access !== "public") {
      assert(op.responses["401"] && op.responses["403"], `${route.operationId} lacks 401/403`);
    }
  }
});

Deno.test("a second route at the same method and path is a registry error", () => {
  const route = API_ROUTES[0];
  let message = "";
  try {
    buildOpenApiDocument([route, apiRoute({ ...route, operationId: "other" })], {
      title: "t",
      version: "1",
    });
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("two routes describe"), message);
});

Deno.test("the copy body in the document refuses what the handler's zod schema refuses", () => {
  const doc = apiDocument() as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: false });
  ajv.addSchema(doc, "openapi.json");
  const validate = ajv.compile({
    $ref: "openapi.json#/paths/" +
      encodeURIComponent("~1api~1v1~1domains~1{name}~1disks~1{target}~1copy") +
      "/post/requestBody/content/application~1json/schema",
  });
  // Shape-level cases (refinements such as a path's normal form stay with the handler).
  const table: [unknown, boolean][] = [
    [{ dest: "/var/lib/libvirt/images/a.qcow2" }, true],
    [{ dest: "/x", format: "raw", shallow: true, reuseExternal: false, bandwidthBytes: 5 }, true],
    [{}, false],
    [{ dest: "/x", bandwithBytes: 5 }, false],
    [{ dest: "/x", format: "vmdk" }, false],
    [{ dest: "/x", shallow: "yes" }, false],
    [{ dest: "/x", bandwidthBytes: -1 }, false],
    [{ dest: "" }, false],
    ["/x", false],
    // A new volume instead of a path (remote hosts): exactly one of the two.
    [{ pool: "images", volume: "c.qcow2", shallow: true }, true],
    [{ pool: "images" }, false],
    [{ pool: "images", volume: "c.qcow2", dest: "/x" }, false],
    [{ pool: "images", volume: "c.qcow2", reuseExternal: true }, false],
    [{ pool: "images", volume: "../c" }, false],
  ];
  for (const [body, ok] of table) {
    assertEquals(copyRequestBody.safeParse(body).success, ok, `zod ${JSON.stringify(body)}`);
    assertEquals(validate(body), ok, `document ${JSON.stringify(body)}`);
  }
});

Deno.test("GET /api/v1/openapi.json: 401 signed out, the same document to a viewer, kept in memory", async () => {
  const security = testSecurity();
  const app = createApp({ ...createServices(new FakeRunner()), security });
  // A token exists, so the app is not in open loopback mode.
  const { token } = await security.tokens.create("reader", "viewer");
  const anonymous = await app.request("/api/v1/openapi.json", { headers: { host: HOST } });
  assertEquals(anonymous.status, 401);
  assertEquals((await anonymous.json()).error.code, "unauthenticated");
  const headers = { host: HOST, authorization: `Bearer ${token}` };
  const first = await app.request("/api/v1/openapi.json", { headers });
  assertEquals(first.status, 200);
  assert(first.headers.get("content-type")?.startsWith("application/json"));
  const text = await first.text();
  assertEquals(JSON.parse(text).openapi, "3.1.0");
  assertEquals(text, await (await app.request("/api/v1/openapi.json", { headers })).text());
  // Built once: the same string object on every call.
  assert(Object.is(apiDocumentText(), apiDocumentText()));
});
