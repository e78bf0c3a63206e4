/**
 * The bad-input and permission suite of issue 4, on the real app with security wired: each case
 * asserts the status, a clear message, that no virsh process ran (or, where a valid but unknown
 * name must be looked up, only the read-only name listing, which carries no user input), and that
 * nothing changed on disk.
 *
 * Over 600 lines on purpose: one table of cases and one runner, so the list is read (and
 * counted, last test) as one inventory; the table's sections follow the kinds of input.
 */
import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  assertNoMutatingVirsh,
  assertNoVirsh,
  messageOf,
  ORIGIN,
  VM1,
  type World,
  world,
} from "../support/app_world.ts";

type Virsh = "none" | "list" | "no-mutation";
interface Case {
  name: string;
  run: (w: World) => Response | Promise<Response>;
  status: number;
  message: RegExp;
  virsh?: Virsh;
}

const disk = (name: string, target = "vda") =>
  `/api/v1/domains/${encodeURIComponent(name)}/disks/${encodeURIComponent(target)}`;
const vm = (rest: string) => `${disk(VM1.name)}/${rest}`;
const ui = (rest: string) => `/ui/domains/${VM1.uuid}/disks/vda/${rest}`;
const FORM = "application/x-www-form-urlencoded";

const cases: Case[] = [];

// Hostile names of domains that do not exist: looked up by the listing only, never passed on.
for (
  const name of ["--pivot", "-c", "a;reboot", "$(reboot)", "`id`", "'quoted'", '"dq"', "12", "--"]
) {
  cases.push({
    name: `unknown hostile name ${JSON.stringify(name)} → 404`,
    run: async (w) => w.request(`${disk(name)}/pull`, { as: await w.login("operator"), json: {} }),
    status: 404,
    message: /No domain named/,
    virsh: "list",
  });
}
for (const name of ["a\nb", "a\0b", "a\rreboot"]) {
  cases.push({
    name: `name with control character ${JSON.stringify(name)} → 400`,
    run: async (w) => w.request(`${disk(name)}/pull`, { as: await w.login("operator"), json: {} }),
    status: 400,
    message: /control characters/,
  });
}
for (const target of ["--pivot", "-c", "vda;reboot", "$(id)", "vda\n", "vd'a", "12", "VDA"]) {
  cases.push({
    name: `hostile target ${JSON.stringify(target)} → 400`,
    run: async (w) =>
      w.request(`${disk(VM1.name, target)}/pull`, { as: await w.login("operator"), json: {} }),
    status: 400,
    message: /disk target/,
  });
}

// Bandwidth.
for (
  const [label, raw] of [
    ["-1", '{"bandwidthBytes":-1}'],
    ["1e309", '{"bandwidthBytes":1e309}'],
    ['"0x10"', '{"bandwidthBytes":"0x10"}'],
    ["0x10 (not JSON)", '{"bandwidthBytes":0x10}'],
    ['empty ""', '{"bandwidthBytes":""}'],
    ["1.5", '{"bandwidthBytes":1.5}'],
  ] as const
) {
  cases.push({
    name: `bandwidth ${label} → 400`,
    run: async (w) => w.request(vm("job/bandwidth"), { as: await w.login("operator"), json: raw }),
    status: 400,
    message: /bandwidth|JSON|number/,
  });
}
cases.push({
  name: "form bandwidth -1 MiB/s → 400 in the form",
  run: async (w) =>
    w.request(ui("copy"), {
      as: await w.login("operator"),
      body: `dest=${encodeURIComponent(w.root + "/c.img")}&format=raw&bandwidthMiB=-1`,
      type: FORM,
    }),
  status: 400,
  message: /bandwidth must be a number/,
});

// Destinations.
const copy = (dest: (w: World) => string, extra: Record<string, unknown> = {}) => (w: World) =>
  w.login("operator").then((as) =>
    w.request(vm("copy"), { as, json: { dest: dest(w), format: "qcow2", ...extra } })
  );
cases.push({
  name: "dest traversal ../ → 400",
  run: copy((w) => `${w.root}/../escape.img`),
  status: 400,
  message: /\.\./,
  virsh: "no-mutation",
});
cases.push({
  name: "dest traversal %2e%2e in a form → 400",
  run: async (w) =>
    w.request(ui("copy"), {
      as: await w.login("operator"),
      body: `dest=${w.root}/%2e%2e/escape.img&format=raw`,
      type: FORM,
    }),
  status: 400,
  message: /\.\./,
  virsh: "no-mutation",
});
cases.push({
  name: "relative dest → 400",
  run: copy(() => "images/c.img"),
  status: 400,
  message: /absolute path/,
});
cases.push({
  name: "dest outside every storage root → 400",
  run: copy((w) => `${w.base}/c.img`),
  status: 400,
  message: /not inside a storage root/,
  virsh: "no-mutation",
});
cases.push({
  name: "terminal blockcopy outside every storage root → 400 (the form's rule)",
  run: async (w) =>
    w.request("/api/v1/terminal", {
      as: await w.login("operator"),
      json: {
        command: `blockcopy --domain ${VM1.uuid} --path vda --dest ${w.base}/c.img --format qcow2`,
      },
    }),
  status: 400,
  message: /not inside a storage root/,
});
cases.push({
  name: "terminal blockcopy through ../ → 400",
  run: async (w) =>
    w.request("/api/v1/terminal", {
      as: await w.login("operator"),
      json: {
        command:
          `blockcopy --domain ${VM1.uuid} --path vda --dest ${w.root}/../c.img --format qcow2`,
      },
    }),
  status: 400,
  message: /\.\./,
});
cases.push({
  name: "symlinked dest → 400",
  run: async (w) => {
    await Deno.symlink("/etc/hostname", `${w.root}/link.img`);
    return copy((w) => `${w.root}/link.img`)(w);
  },
  status: 400,
  message: /symbolic link/,
  virsh: "no-mutation",
});
cases.push({
  name: "dest below a symlinked directory leading out of the root → 400",
  run: async (w) => {
    await Deno.mkdir(`${w.base}/outside`);
    await Deno.symlink(`${w.base}/outside`, `${w.root}/escape`);
    return copy((w) => `${w.root}/escape/c.img`)(w);
  },
  status: 400,
  message: /not a directory|not inside a storage root/,
  virsh: "no-mutation",
});
cases.push({
  name: "existing dest without reuse-external → 400",
  run: async (w) => {
    await Deno.writeTextFile(`${w.root}/there.img`, "x");
    return copy((w) => `${w.root}/there.img`)(w);
  },
  status: 400,
  message: /already exists/,
  virsh: "no-mutation",
});
cases.push({
  name: "reuse-external without a format → 400",
  run: async (w) => {
    await Deno.writeTextFile(`${w.root}/there.img`, "x");
    return w.request(vm("copy"), {
      as: await w.login("operator"),
      json: { dest: `${w.root}/there.img`, reuseExternal: true },
    });
  },
  status: 400,
  message: /format/,
  virsh: "no-mutation",
});
cases.push({
  name: "world-writable storage root → 400",
  run: async (w) => {
    await Deno.chmod(w.root, 0o777);
    return copy((w) => `${w.root}/c.img`)(w);
  },
  status: 400,
  message: /writable by everyone/,
  virsh: "no-mutation",
});

// Cross-site posts with every content type and none; missing and wrong CSRF token.
for (
  const type of [FORM, "multipart/form-data; boundary=x", "text/plain", "application/json", ""]
) {
  cases.push({
    name: `cross-site POST (${type || "no content type"}) → 403`,
    run: async (w) =>
      w.request(vm("job/abort"), {
        as: await w.login("operator"),
        body: type.startsWith("multipart") ? "--x--\r\n" : "",
        type: type || undefined,
        headers: { origin: "https://evil.example" },
      }),
    status: 403,
    message: /Cross-site request refused/,
  });
}
cases.push({
  name: "cross-site POST by Sec-Fetch-Site → 403",
  run: async (w) =>
    w.request(vm("job/abort"), {
      as: await w.login("operator"),
      json: {},
      headers: { "sec-fetch-site": "cross-site" },
    }),
  status: 403,
  message: /Cross-site/,
});
cases.push({
  name: "POST with neither Origin nor Sec-Fetch-Site from a session → 403",
  run: async (w) =>
    w.request(vm("job/abort"), {
      as: await w.login("operator"),
      json: {},
      headers: { origin: "null" },
    }),
  status: 403,
  message: /not allowed/,
});
cases.push({
  name: "missing CSRF token → 403",
  run: async (w) =>
    w.request(vm("job/abort"), { as: await w.login("operator"), csrf: null, json: {} }),
  status: 403,
  message: /CSRF token is missing/,
});
cases.push({
  name: "wrong CSRF token → 403",
  run: async (w) =>
    w.request(vm("job/abort"), { as: await w.login("operator"), csrf: "x".repeat(43), json: {} }),
  status: 403,
  message: /CSRF token is wrong/,
});
cases.push({
  name: "another session's CSRF token → 403",
  run: async (w) => {
    const other = await w.login("admin");
    return w.request(vm("job/abort"), {
      as: await w.login("operator"),
      csrf: other.csrf,
      json: {},
    });
  },
  status: 403,
  message: /CSRF token is wrong/,
});
cases.push({
  name: "foreign Host header → 421",
  run: async (w) =>
    w.request(vm("job/abort"), {
      as: await w.login("operator"),
      json: {},
      headers: { host: "rebind.evil.example:8080", origin: "http://rebind.evil.example:8080" },
    }),
  status: 421,
  message: /is not served here/,
});
cases.push({
  name: "foreign Host on a page GET → 421",
  run: (w) => w.request("/", { headers: { host: "attacker.example" } }),
  status: 421,
  message: /is not served here/,
});

// Sessions.
cases.push({
  name: "forged session cookie → 401",
  run: (w) =>
    w.request(vm("job/abort"), {
      as: { cookie: `bb_session=${"A".repeat(43)}`, csrf: "x" },
      json: {},
    }),
  status: 401,
  message: /Sign in first/,
});
cases.push({
  name: "expired session (idle timeout) → 401",
  run: async (w) => {
    const as = await w.login("operator");
    w.clock.advance(w.security.sessions.idleTimeoutMs + 1000);
    return w.request(vm("job/abort"), { as, json: {} });
  },
  status: 401,
  message: /Sign in first/,
});
cases.push({
  name: "session replayed after logout → 401",
  run: async (w) => {
    const as = await w.login("operator");
    const out = await w.request("/logout", { as, body: `_csrf=${as.csrf}`, type: FORM });
    assertEquals(out.status, 303);
    return w.request(vm("job/abort"), { as, json: {} });
  },
  status: 401,
  message: /Sign in first/,
});
cases.push({
  name: "invalid bearer token → 401",
  run: (w) =>
    w.request(vm("job/abort"), {
      json: {},
      headers: { authorization: "Bearer bbt_0000000000000000_" + "a".repeat(43) },
    }),
  status: 401,
  message: /not valid/,
});
cases.push({
  name: "anonymous API POST → 401",
  run: (w) => w.request(vm("job/abort"), { json: {} }),
  status: 401,
  message: /Sign in first/,
});

// A viewer on every operator route.
const operatorRoutes: [string, string][] = [
  [vm("pull"), "{}"],
  [vm("copy"), '{"dest":"/var/lib/libvirt/images/x.img","format":"raw"}'],
  [vm("commit"), "{}"],
  [vm("job/pivot"), "{}"],
  [vm("job/abort"), '{"mode":"keep-copy"}'],
  [vm("job/bandwidth"), '{"bandwidthBytes":1}'],
];
for (const [path, json] of operatorRoutes) {
  cases.push({
    name: `viewer POST ${path.split("/disks/vda/")[1]} → 403`,
    run: async (w) => w.request(path, { as: await w.login("viewer"), json }),
    status: 403,
    message: /needs the operator role; viewer has the viewer role/,
  });
}
for (
  const rest of [
    "copy",
    "pull",
    "commit",
    "job/pivot",
    "job/keep",
    "job/abort",
    "job/bandwidth",
    "preview/copy",
  ]
) {
  cases.push({
    name: `viewer POST /ui/.../${rest} → 403`,
    run: async (w) =>
      w.request(ui(rest), {
        as: await w.login("viewer"),
        body: "dest=/var/lib/libvirt/images/x.img&format=raw&bandwidthMiB=1",
        type: FORM,
        headers: { "hx-request": "true" },
      }),
    status: 403,
    message: /needs the operator role/,
  });
}
cases.push({
  name: "viewer on the audit page → 403",
  run: async (w) => w.request("/audit", { as: await w.login("viewer") }),
  status: 403,
  message: /needs the operator role/,
});
cases.push({
  name: "viewer on the audit export → 403",
  run: async (w) => w.request("/audit.json", { as: await w.login("viewer") }),
  status: 403,
  message: /needs the operator role/,
});

// Paths carrying bidi or C1 controls: refused by the terminal's own character rule.
for (
  const [label, ch] of [
    ["U+202E (right-to-left override)", "\u202E"],
    ["U+2066 (isolate)", "\u2066"],
    ["U+0085 (C1 next line)", "\u0085"],
    ["U+009B (C1 CSI)", "\u009B"],
  ] as const
) {
  cases.push({
    name: `dest with ${label} → 400`,
    run: copy((w) => `${w.root}/a${ch}gpj.qcow2`),
    status: 400,
    message: new RegExp(
      `dest: must not contain control or invisible formatting characters \\(${
        label.slice(0, 6).replace("+", "\\+")
      }`,
    ),
  });
}
cases.push({
  name: "pull base with U+202E → 400",
  run: async (w) =>
    w.request(vm("pull"), { as: await w.login("operator"), json: { base: "/img/\u202Ea" } }),
  status: 400,
  message: /base: must not contain control or invisible formatting characters \(U\+202E/,
});
cases.push({
  name: "form dest with U+202E → 400 in the form",
  run: async (w) =>
    w.request(ui("copy"), {
      as: await w.login("operator"),
      body: `dest=${encodeURIComponent(w.root + "/a\u202Egpj.raw")}&format=raw`,
      type: FORM,
    }),
  status: 400,
  message: /U\+202E/,
});

// Messages that say what is wrong and name the field.
cases.push({
  name: "copy without dest → 400 naming dest as required",
  run: async (w) =>
    w.request(vm("copy"), { as: await w.login("operator"), json: { format: "raw" } }),
  status: 400,
  message: /^dest: is required \(a path on this machine\), or "pool" and "volume"/,
});
cases.push({
  name: "copy with a misspelt key → 400 naming it",
  run: copy((w) => `${w.root}/c.img`, { bandwithBytes: 1024 }),
  status: 400,
  message: /unknown field "bandwithBytes": this request takes dest, format/,
});
cases.push({
  name: "pivot with an unknown key → 400 naming it",
  run: async (w) =>
    w.request(vm("job/pivot"), { as: await w.login("operator"), json: { force: true } }),
  status: 400,
  message: /unknown field "force"/,
});
cases.push({
  name: "body that is a list → 400",
  run: async (w) => w.request(vm("pull"), { as: await w.login("operator"), json: "[]" }),
  status: 400,
  message: /must be a JSON object, not a list/,
});
cases.push({
  name: "bandwidth over the maximum → 400 saying too large",
  run: async (w) =>
    w.request(vm("job/bandwidth"), {
      as: await w.login("operator"),
      json: { bandwidthBytes: 2 ** 60 },
    }),
  status: 400,
  message: /^bandwidthBytes: is too large: at most 9007199254740991 bytes per second$/,
});
cases.push({
  name: "form bandwidth over the maximum → 400 in MiB/s",
  run: async (w) =>
    w.request(ui("copy"), {
      as: await w.login("operator"),
      body: `dest=${encodeURIComponent(w.root + "/c.img")}&format=raw&bandwidthMiB=1e12`,
      type: FORM,
    }),
  status: 400,
  message: /bandwidth must be a number of MiB\/s/,
});
cases.push({
  name: "form bandwidth 99999999999 MiB/s → 400 too large",
  run: async (w) =>
    w.request(ui("copy"), {
      as: await w.login("operator"),
      body: `dest=${encodeURIComponent(w.root + "/c.img")}&format=raw&bandwidthMiB=99999999999`,
      type: FORM,
    }),
  status: 400,
  message: /bandwidth is too large: at most 8589934591 MiB\/s/,
});
cases.push({
  name: "form with an unknown field → 400 naming it",
  run: async (w) =>
    w.request(ui("copy"), {
      as: await w.login("operator"),
      body: `dest=${encodeURIComponent(w.root + "/c.img")}&format=raw&bandwith=5`,
      type: FORM,
    }),
  status: 400,
  message: /unknown field (&quot;|")bandwith/,
});
cases.push({
  name: "job of a disk the domain does not have → 404",
  run: async (w) => w.request(`${disk(VM1.name, "vdz")}/job`, { as: await w.login("viewer") }),
  status: 404,
  message: /has no disk vdz/,
  virsh: "no-mutation",
});

for (const c of cases) {
  Deno.test(`bad input: ${c.name}`, async () => {
    const w = await world();
    try {
      const before = await w.listing();
      w.runner.calls.length = 0;
      // Set-up steps inside run() may create files; take the listing after them.
      const res = await c.run(w);
      const message = await messageOf(res);
      assertEquals(res.status, c.status, message);
      assertMatch(message, c.message);
      const virsh = c.virsh ?? "none";
      if (virsh === "none") assertNoVirsh(w.runner);
      else if (virsh === "list") assertNoVirsh(w.runner, true);
      else assertNoMutatingVirsh(w.runner);
      const after = await w.listing();
      if (!/symlink|existing|reuse|directory leading/.test(c.name)) {
        assertEquals(after, before, "nothing changed on disk");
      } else {
        assert(!after.includes("c.img"), "no copy was created");
      }
    } finally {
      await w.cleanup();
    }
  });
}

Deno.test("bad input: login brute force → 429 with Retry-After; audited", async () => {
  const w = await world();
  try {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await w.request("/login", {
        body: `username=admin&password=guess-${i}`,
        type: FORM,
      });
      statuses.push(last.status);
    }
    assertEquals(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
    assertEquals(statuses.slice(5), [429, 429]);
    assert(Number(last!.headers.get("retry-after")) > 0);
    assertMatch(await last!.text(), /Too many failed logins/);
    const refused = w.security.audit.query({ action: "login", result: "refused" }).entries;
    assertEquals(refused.reduce((n, e) => n + e.count, 0), 7, "the two 429s share one row");
    assertNoVirsh(w.runner);
  } finally {
    await w.cleanup();
  }
});

Deno.test("bad input: XSS through a domain name in the error page, the API error and the audit page", async () => {
  const w = await world();
  try {
    const evil = "<img src=x onerror=alert(1)>";
    const as = await w.login("admin");
    const page = await w.request(`/domains/${encodeURIComponent(evil)}`, { as });
    assertEquals(page.status, 404);
    const html = await page.text();
    assert(!html.includes(evil), "raw markup in the error page");
    assert(html.includes("&lt;img src=x onerror=alert(1)&gt;"));
    assertMatch(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);

    const api = await w.request(`${disk(evil)}/pull`, { as, json: {} });
    assertEquals(api.status, 404);
    assertMatch(api.headers.get("content-type") ?? "", /application\/json/);

    // The refused request is in the audit log with the hostile path; the page shows it as text.
    const audit = await w.request("/audit", { as });
    assertEquals(audit.status, 200);
    const auditHtml = await audit.text();
    assert(!auditHtml.includes(evil));
    assert(auditHtml.includes("refused"));
    assertNoVirsh(w.runner, true);
  } finally {
    await w.cleanup();
  }
});

Deno.test("cross-site: an operator page carries the CSRF token in hx-headers, a same-site POST passes the guards", async () => {
  const w = await world();
  try {
    const as = await w.login("operator");
    const page = await w.request("/", { as });
    const html = await page.text();
    assert(
      html.includes(`hx-headers:inherited="{&quot;X-CSRF-Token&quot;:&quot;${as.csrf}&quot;}"`),
    );
    assert(html.includes("operator") && html.includes("Log out"));
    assert(!html.includes("No login:"));
    const res = await w.request(vm("job/abort"), {
      as,
      json: {},
      headers: { origin: ORIGIN },
    });
    // Through every guard to the operation: nothing to abort on the fake domain.
    assertEquals(res.status, 409);
    assertMatch(await messageOf(res), /no block job to abort/);
    const [entry] = w.security.audit.query({ user: "operator" }).entries;
    assertEquals(entry.result, "refused");
    assertEquals(entry.role, "operator");
    assertMatch(entry.action, /^POST \/api\/v1\/domains\/.*\/job\/abort$/);
    assertMatch(entry.message, /^409 disk vda has no block job/);
  } finally {
    await w.cleanup();
  }
});

Deno.test("cases: at least 40 bad-input and permission cases", () => {
  assert(cases.length >= 40, `only ${cases.length}`);
});
