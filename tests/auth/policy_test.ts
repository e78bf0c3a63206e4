/**
 * The access policy: which role each route group needs per method, who may control jobs, which
 * terminal allowlist a caller gets, and the gate's answers.
 */
import { assertEquals } from "@std/assert";
import { Hono } from "hono";
import type { AppEnv } from "../../server/env.ts";
import { errorHandler } from "../../server/routes/error_pages.tsx";
import { ACCESS, canControl, gate, neededRole, terminalRoleOf } from "../../server/auth/policy.ts";
import type { CurrentUser } from "../../server/auth/middleware.ts";
import type { Role } from "../../server/auth/roles.ts";

const as = (role: Role): CurrentUser => ({ name: role, role, via: "session" });

Deno.test("neededRole: viewers read the dashboard, operators change it and read the audit log", () => {
  assertEquals(neededRole(ACCESS.dashboard, "GET"), "viewer");
  assertEquals(neededRole(ACCESS.dashboard, "HEAD"), "viewer");
  assertEquals(neededRole(ACCESS.dashboard, "POST"), "operator");
  assertEquals(neededRole(ACCESS.dashboard, "DELETE"), "operator");
  assertEquals(neededRole(ACCESS.audit, "GET"), "operator");
  // Every signed-in role may post a terminal line; the line is checked per role afterwards.
  assertEquals(neededRole(ACCESS.terminal, "POST"), "viewer");
});

Deno.test("canControl and terminalRoleOf follow the caller's role", () => {
  assertEquals(canControl(null), false);
  assertEquals(canControl(as("viewer")), false);
  assertEquals(canControl(as("operator")), true);
  assertEquals(canControl(as("admin")), true);
  assertEquals(terminalRoleOf(null), null);
  assertEquals(terminalRoleOf(as("viewer")), "viewer");
  assertEquals(terminalRoleOf(as("operator")), "operator");
});

Deno.test("gate: 401 anonymous, 403 too little privilege, through otherwise", async () => {
  let user: CurrentUser | null = null;
  const app = new Hono<AppEnv>();
  app.onError(errorHandler({ uri: "qemu:///test" }));
  app.use(async (c, next) => {
    c.set("user", user);
    await next();
  });
  app.use("/x", gate(ACCESS.dashboard));
  app.get("/x", (c) => c.text("read"));
  app.post("/x", (c) => c.text("changed"));
  const status = async (method: string) =>
    (await app.request("/x", { method, headers: { accept: "application/json" } })).status;
  assertEquals([await status("GET"), await status("POST")], [401, 401]);
  user = as("viewer");
  assertEquals([await status("GET"), await status("POST")], [200, 403]);
  user = as("operator");
  assertEquals([await status("GET"), await status("POST")], [200, 200]);
});
