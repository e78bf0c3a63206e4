import { assertEquals } from "@std/assert";
import { domainNamesFromJobs, domainOfArgv, domainOfPath } from "../../server/audit/domain.ts";
import type { Job } from "../../server/jobs/model.ts";

const UUID = "704cf090-1533-475a-a0f6-1f81adb2fb5c";

Deno.test("audit domain: the name in a route path is decoded exactly once", () => {
  assertEquals(domainOfPath("/api/v1/domains/web1/disks/vda/pull"), "web1");
  assertEquals(domainOfPath("/domains/web1"), "web1");
  assertEquals(
    domainOfPath(`/api/v1/domains/${encodeURIComponent("a/b 100%")}/disks/vda`),
    "a/b 100%",
  );
  assertEquals(domainOfPath("/api/v1/domains/%2541"), "%41");
  assertEquals(domainOfPath("/api/v1/domains/%E0%A4%A/disks/vda"), null, "malformed");
  assertEquals(domainOfPath("/api/v1/terminal"), null);
});

Deno.test("audit domain: a UUID in a UI path becomes the name the job monitor knows", () => {
  const job = (domain: string) => ({ domain }) as Job;
  const monitor = {
    getJob: (uuid: string, target: string) =>
      uuid === UUID && target === "vda" ? job("web1") : null,
    getHistory: (uuid: string, target: string) =>
      uuid === UUID && target === "vdb" ? [job("old-name"), job("web1")] : [],
  };
  const nameOf = domainNamesFromJobs(monitor);
  assertEquals(domainOfPath(`/ui/domains/${UUID}/disks/vda/job/pivot`, nameOf), "web1");
  assertEquals(domainOfPath(`/ui/domains/${UUID}/disks/vdb/job/abort`, nameOf), "web1");
  assertEquals(
    domainOfPath(`/ui/domains/${UUID}/disks/vdc/copy`, nameOf),
    UUID,
    "no job there: the UUID stays",
  );
  // A domain *named* like a word is never looked up.
  assertEquals(domainOfPath("/api/v1/domains/vda/disks/vda/pull", nameOf), "vda");
});

Deno.test("audit domain: --domain in an argv", () => {
  assertEquals(domainOfArgv(["blockjob", "--domain", "x", "--path", "vda"]), "x");
  assertEquals(domainOfArgv(["-c", "qemu:///system", "blockpull", "--domain=y"]), "y");
  assertEquals(domainOfArgv(["list", "--all"]), null);
  assertEquals(domainOfArgv(["blockjob", "--domain"]), null);
  assertEquals(domainOfArgv(null), null);
});
