/**
 * Real answers match the OpenAPI document: the secured app over real virsh drives a real lab
 * domain (list, read, start a throttled copy, read its job, change its bandwidth, refuse a pivot
 * and a second copy, abort, read the history) and every answer, errors included, is validated
 * with Ajv against the schema the document gives for its path, method and status.
 */
import { assert, assertEquals } from "@std/assert";
import { createApp } from "../../server/app.tsx";
import { createServices } from "../../server/services.ts";
import { IN_MEMORY, openDatabase } from "../../server/db.ts";
import { SpawnRunner } from "../../server/virsh/runner.ts";
import { createLabDomain, LAB_URI, uniqueName, waitFor } from "../lab/lab.ts";
import { testSecurity } from "../support/security.ts";
import { answerChecker } from "./answers.ts";

const HOST = "127.0.0.1:8080";
const MiB = 1024 * 1024;

Deno.test("real answers of a lab domain's life match the OpenAPI document", async () => {
  await using dom = await createLabDomain({
    name: uniqueName("bbapi-"),
    disks: [{ target: "vda", layers: 2, sizeMiB: 64 }],
  });
  const db = openDatabase(IN_MEMORY);
  const runner = new SpawnRunner({ uri: LAB_URI, timeoutMs: 30_000 });
  const services = createServices(runner, {
    storageRoots: [dom.dir],
    db,
    inventoryCacheMs: 0,
    monitor: { intervalMs: 250 },
  });
  await services.monitor.start();
  const security = testSecurity({ db });
  const operator = (await security.tokens.create("bbapi-operator", "operator")).token;
  const viewer = (await security.tokens.create("bbapi-viewer", "viewer")).token;
  const app = createApp({ ...services, security });
  try {
    const docAnswer = await app.request("/api/v1/openapi.json", {
      headers: { host: HOST, authorization: `Bearer ${viewer}` },
    });
    assertEquals(docAnswer.status, 200);
    const document = await docAnswer.json();
    const doc = answerChecker(document);
    doc.check("GET", "/api/v1/openapi.json", 200, document);

    /** One request; its answer validated against the document under `route` (Hono syntax). */
    const call = async (
      method: "GET" | "POST",
      route: string,
      url: string,
      init: { json?: unknown; token?: string | null; host?: string } = {},
    ) => {
      const headers: Record<string, string> = { host: init.host ?? HOST };
      const token = init.token === undefined ? operator : init.token;
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (init.json !== undefined) {
        headers["content-type"] = "application/json";
        body = typeof init.json === "string" ? init.json : JSON.stringify(init.json);
      }
      const res = await app.request(url, { method, headers, body });
      const json = await res.json();
      doc.check(method, route, res.status, json);
      return { status: res.status, json };
    };
    const name = encodeURIComponent(dom.name);
    const DISK = "/api/v1/domains/:name/disks/:target";
    const disk = `/api/v1/domains/${name}/disks/vda`;

    assertEquals((await call("GET", "/healthz", "/healthz", { token: null })).status, 200);

    const list = await call("GET", "/api/v1/domains", "/api/v1/domains");
    assertEquals(list.status, 200);
    assert(list.json.domains.some((d: { name: string }) => d.name === dom.name));

    const one = await call("GET", "/api/v1/domains/:name", `/api/v1/domains/${name}`);
    assertEquals(one.status, 200);
    assertEquals(one.json.domain.disks[0].chain.length, 2);

    const missing = await call("GET", "/api/v1/domains/:name", "/api/v1/domains/bbapi-none-such");
    assertEquals(missing.status, 404);

    assertEquals((await call("GET", `${DISK}/job`, `${disk}/job`)).json, { job: null });
    assertEquals(
      (await call("GET", `${DISK}/job`, `/api/v1/domains/${name}/disks/vdz/job`)).status,
      404,
    );
    assertEquals(
      (await call("GET", `${DISK}/job`, `/api/v1/domains/${name}/disks/VDA!/job`)).status,
      400,
    );

    const dest = `${dom.dir}/bbapi-copy.qcow2`;
    const bad = await call("POST", `${DISK}/copy`, `${disk}/copy`, {
      json: { dest, bandwithBytes: MiB },
    });
    assertEquals(bad.status, 400);
    assertEquals(
      (await call("POST", `${DISK}/copy`, `${disk}/copy`, { json: "{not json" })).status,
      400,
    );
    const refused = await call("POST", `${DISK}/copy`, `${disk}/copy`, {
      json: { dest, bandwidthBytes: MiB },
      token: viewer,
    });
    assertEquals(refused.status, 403);

    const started = await call("POST", `${DISK}/copy`, `${disk}/copy`, {
      json: { dest, bandwidthBytes: MiB },
    });
    assertEquals(started.status, 202, JSON.stringify(started.json));
    assertEquals(started.json.job.type, "copy");

    const again = await call("POST", `${DISK}/copy`, `${disk}/copy`, {
      json: { dest: `${dom.dir}/bbapi-copy2.qcow2` },
    });
    assertEquals(again.status, 409);

    const info = await call("GET", `${DISK}/job`, `${disk}/job`);
    assertEquals(info.json.job.phase, "running");
    assertEquals(info.json.job.bandwidthBytes, MiB);

    const throttled = await call("POST", `${DISK}/job/bandwidth`, `${disk}/job/bandwidth`, {
      json: { bandwidthBytes: 2 * MiB },
    });
    assertEquals(throttled.status, 200);

    const early = await call("POST", `${DISK}/job/pivot`, `${disk}/job/pivot`, { json: {} });
    assertEquals(early.status, 409, JSON.stringify(early.json));

    const aborted = await call("POST", `${DISK}/job/abort`, `${disk}/job/abort`, { json: {} });
    assertEquals(aborted.status, 200, JSON.stringify(aborted.json));
    assertEquals(aborted.json.job.phase, "canceled");

    const history = await waitFor("the aborted copy in the history", async () => {
      const h = await call("GET", "/api/v1/jobs", `/api/v1/jobs?domain=${name}`);
      return h.json.jobs.length ? h.json : null;
    }, { timeoutMs: 20_000, intervalMs: 250 });
    assertEquals(history.jobs[0].phase, "canceled");
    assertEquals((await call("GET", "/api/v1/jobs", "/api/v1/jobs?limit=0")).status, 400);

    const line = await call("POST", "/api/v1/terminal", "/api/v1/terminal", {
      json: { command: `domblklist ${dom.uuid}` },
    });
    assertEquals(line.status, 200, JSON.stringify(line.json));
    assertEquals(line.json.exitCode, 0);
    assertEquals(
      (await call("POST", "/api/v1/terminal", "/api/v1/terminal", { json: { cmd: "x" } })).status,
      400,
    );

    const audit = await call("GET", "/audit.json", `/audit.json?domain=${name}`);
    assertEquals(audit.status, 200);
    assert(audit.json.length > 0);

    assertEquals(
      (await call("GET", "/api/v1/domains", "/api/v1/domains", { token: null })).status,
      401,
    );
    assertEquals(
      (await call("GET", "/api/v1/domains", "/api/v1/domains", { host: "evil.example" })).status,
      421,
    );
  } finally {
    await services.monitor.stop();
    await runner.close?.();
    db.close();
  }
});
