/** `/audit`, `/audit.csv`, `/audit.json` through the real app with the security layer on. */
import { assert, assertEquals, assertMatch } from "@std/assert";
import { world } from "../support/app_world.ts";
import type { AuditInput } from "../../server/audit/log.ts";

const ODD = "it's <b>odd</b>";

async function seeded() {
  const w = await world();
  const entry = (e: Partial<AuditInput>) =>
    w.security.audit.record({
      user: "operator",
      role: "operator",
      client: "192.0.2.9",
      action: "x",
      result: "ok",
      ...e,
    });
  entry({
    action: "POST /api/v1/domains/web1/disks/vda/job/pivot (blockjob)",
    argv: ["-c", "qemu:///system", "blockjob", "--domain", "web1", "--path", "vda", "--pivot"],
    domain: "web1",
  });
  entry({
    action: "POST /api/v1/domains/db1/disks/vdb/copy (blockcopy)",
    argv: ["blockcopy", "--domain", ODD, "--path", "vdb", "--dest", "/img/a b.qcow2"],
    domain: ODD,
    result: "failed",
    message: "=cmd",
  });
  entry({ action: "login", user: "admin", role: "admin" });
  const as = await w.login("operator");
  return { w, as };
}

Deno.test("audit page: filters by exact domain name and by part of the action, any case", async () => {
  const { w, as } = await seeded();
  try {
    const page = async (query: string) => {
      const res = await w.request(`/audit${query}`, { as });
      assertEquals(res.status, 200);
      return await res.text();
    };
    const web = await page("?domain=web1");
    assertMatch(web, /1 matching entries/);
    assert(web.includes("job/pivot"));
    assert(!web.includes("blockcopy"));
    assertMatch(await page("?domain=web"), /0 matching entries/, "the domain is matched exactly");
    const pivot = await page("?action=PIVOT");
    assertMatch(pivot, /1 matching entries/);
    assertMatch(await page("?action=%25"), /0 matching entries/, "% is a plain character");
    assertMatch(await page("?action=post&result=failed"), /1 matching entries/);
    assertMatch(await page("?domain=&action=&user=&result="), /3 matching entries/);
    // The form keeps what was typed, and the export links carry the same filter.
    const both = await page(`?domain=${encodeURIComponent(ODD)}&action=copy`);
    assertMatch(both, /1 matching entries/);
    assert(both.includes(`name="domain" value="it&#39;s &lt;b&gt;odd&lt;/b&gt;"`));
    assert(both.includes(`href="/audit.csv?action=copy&amp;domain=it%27s+%3Cb%3Eodd%3C%2Fb%3E"`));
  } finally {
    await w.cleanup();
  }
});

Deno.test("audit page: rows show the domain name and the quoted virsh command line, escaped", async () => {
  const { w, as } = await seeded();
  try {
    const html = await (await w.request("/audit", { as })).text();
    assert(
      html.includes(
        "virsh -c qemu:///system blockjob --domain web1 --path vda --pivot",
      ),
      "a runner argv is shown as a command line",
    );
    // A terminal argv (no -c) gets the connection added; quotes as a POSIX shell reads them.
    assert(
      html.includes(
        "virsh -c qemu:///fake blockcopy --domain &#39;it&#39;\\&#39;&#39;s &lt;b&gt;odd&lt;/b&gt;&#39; " +
          "--path vdb --dest &#39;/img/a b.qcow2&#39;",
      ),
    );
    assert(!html.includes('["blockcopy"'), "no JSON argv");
    assert(!html.includes("<b>odd</b>"), "the name is text, not markup");
    assert(html.includes(`<td data-label="Domain" class="audit-long audit-domain">web1</td>`));
  } finally {
    await w.cleanup();
  }
});

Deno.test("audit exports: CSV and JSON take the same filters as the page", async () => {
  const { w, as } = await seeded();
  try {
    const csv = await (await w.request(`/audit.csv?domain=${encodeURIComponent(ODD)}`, { as }))
      .text();
    const lines = csv.trimEnd().split("\r\n");
    assertEquals(lines.length, 2);
    assertMatch(lines[1], /,failed,'=cmd,1,.*,it's <b>odd<\/b>$/);
    const json = JSON.parse(
      await (await w.request("/audit.json?action=PIVOT&domain=web1", { as })).text(),
    );
    assertEquals(json.length, 1);
    assertEquals(json[0].domain, "web1");
    const none = JSON.parse(
      await (await w.request("/audit.json?domain=web1&action=copy", { as }))
        .text(),
    );
    assertEquals(none, []);
  } finally {
    await w.cleanup();
  }
});

Deno.test("audit page: a refused request names its domain from the path", async () => {
  const { w, as } = await seeded();
  try {
    const name = "web 1/100%";
    const res = await w.request(`/api/v1/domains/${encodeURIComponent(name)}/disks/vda/pull`, {
      json: {},
    });
    assertEquals(res.status, 401);
    const json = JSON.parse(
      await (await w.request(`/audit.json?domain=${encodeURIComponent(name)}`, { as })).text(),
    );
    assertEquals(json.length, 1);
    assertEquals(json[0].domain, name);
  } finally {
    await w.cleanup();
  }
});

Deno.test("audit page: over-long filters are refused with 400", async () => {
  const { w, as } = await seeded();
  try {
    const res = await w.request(`/audit.csv?domain=${"x".repeat(256)}`, { as });
    assertEquals(res.status, 400);
    assertMatch(await res.text(), /domain filter too long/);
  } finally {
    await w.cleanup();
  }
});
