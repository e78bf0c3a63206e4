/** The page icon: linked from every page and served from our own origin, so no load logs a 404. */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { staticRoutes } from "../../server/routes/static.ts";
import { Layout } from "../../views/layout.tsx";

Deno.test("favicon: every page links it and /static serves it as SVG", async () => {
  const html = String(<Layout title="t" uri="qemu:///system" session={null} />);
  assertStringIncludes(html, `<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`);
  const res = await staticRoutes().request("/favicon.svg");
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "image/svg+xml");
  assertStringIncludes(await res.text(), "<svg");
});
