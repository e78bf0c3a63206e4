/**
 * What a page offers follows who is looking: forms and controls for operators only, the terminal
 * only after sign-in, the CSRF token on every signed-in page.
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { world } from "../support/app_world.ts";

Deno.test("a viewer's domain page has the chain but no start forms; an operator's has them", async () => {
  const w = await world();
  try {
    const path = "/domains/bbfix-vm1";
    const viewer = await (await w.request(path, { as: await w.login("viewer") })).text();
    assertStringIncludes(viewer, 'class="chain"');
    assert(!viewer.includes("start-jobs"), "a viewer must not be offered job forms");
    assertStringIncludes(viewer, 'class="terminal"'); // read-only lines are allowed to viewers
    const operator = await (await w.request(path, { as: await w.login("operator") })).text();
    assertStringIncludes(operator, "start-jobs");
  } finally {
    await w.cleanup();
  }
});

Deno.test("the login page has no terminal and no CSRF header to inherit", async () => {
  const w = await world();
  try {
    const res = await w.request("/login");
    assertEquals(res.status, 200);
    const html = await res.text();
    assert(!html.includes('class="terminal"'), "no terminal before sign-in");
    assert(!html.includes("hx-headers"), "no token before sign-in");
  } finally {
    await w.cleanup();
  }
});
