/** argv builders of the migration and storage-pool commands: exact argv, refusals. */
import { assertEquals, assertThrows } from "@std/assert";
import {
  bandwidthMiBCeil,
  CommandBuildError,
  domCapabilitiesArgs,
  domJobAbortArgs,
  domJobInfoArgs,
  migrateArgs,
  poolInfoArgs,
  poolListArgs,
  volCreateAsArgs,
  volDeleteArgs,
  volListArgs,
  volPathArgs,
} from "../../server/virsh/commands.ts";

const UUID = "cda48577-a48b-41b2-96eb-67169a43ae13";
const DEST = "qemu+tcp://10.77.12.2/system";

Deno.test("migrate: every value a named option, persistent domains move for good", () => {
  assertEquals(
    migrateArgs(UUID, {
      destUri: DEST,
      migrateUri: "tcp://10.77.12.2",
      storage: "all",
      persistent: true,
    }),
    [
      "migrate",
      "--live",
      "--persistent",
      "--undefinesource",
      "--copy-storage-all",
      "--domain",
      UUID,
      "--desturi",
      DEST,
      "--migrateuri",
      "tcp://10.77.12.2",
    ],
  );
});

Deno.test("migrate: transient, incremental, throttled, libvirt's default stream address", () => {
  assertEquals(
    migrateArgs(UUID, {
      destUri: "qemu:///system",
      storage: "inc",
      persistent: false,
      bandwidthBytes: 1,
    }),
    [
      "migrate",
      "--live",
      "--copy-storage-inc",
      "--bandwidth",
      "1",
      "--domain",
      UUID,
      "--desturi",
      "qemu:///system",
    ],
  );
});

Deno.test("migrate: bandwidth is whole MiB/s rounded up; 0 means unlimited", () => {
  const table: [number, number][] = [[1, 1], [1048576, 1], [1048577, 2], [10485760, 10]];
  for (const [bytes, mib] of table) assertEquals(bandwidthMiBCeil(bytes), mib, `${bytes}`);
  const argv = migrateArgs(UUID, {
    destUri: DEST,
    storage: "all",
    persistent: false,
    bandwidthBytes: 0,
  });
  assertEquals(argv.includes("--bandwidth"), false);
  assertThrows(() => bandwidthMiBCeil(-1), CommandBuildError, "negative");
});

Deno.test("migrate: refuses a bad URI, stream address or domain", () => {
  const base = { destUri: DEST, storage: "all" as const, persistent: false };
  assertThrows(
    () => migrateArgs(UUID, { ...base, destUri: "--help" }),
    CommandBuildError,
    "libvirt URI",
  );
  assertThrows(
    () => migrateArgs(UUID, { ...base, destUri: "qemu+tcp://a b/system" }),
    CommandBuildError,
  );
  assertThrows(
    () => migrateArgs(UUID, { ...base, migrateUri: "tcp://10.0.0.1;x" }),
    CommandBuildError,
    "migration URI",
  );
  assertThrows(() => migrateArgs("vm1", base), CommandBuildError, "UUID");
});

Deno.test("domjobinfo, domjobabort, domcapabilities, pools and volumes", () => {
  assertEquals(domJobInfoArgs(UUID), ["domjobinfo", "--domain", UUID, "--rawstats"]);
  assertEquals(domJobAbortArgs(UUID), ["domjobabort", "--domain", UUID]);
  assertEquals(
    domCapabilitiesArgs({ virtType: "qemu", arch: "x86_64", machine: "pc-i440fx-7.2" }),
    [
      "domcapabilities",
      "--virttype",
      "qemu",
      "--arch",
      "x86_64",
      "--machine",
      "pc-i440fx-7.2",
    ],
  );
  assertThrows(
    () => domCapabilitiesArgs({ virtType: "qemu", arch: "--x", machine: "pc" }),
    CommandBuildError,
  );
  assertEquals(poolListArgs(), ["pool-list", "--all", "--name"]);
  assertEquals(poolInfoArgs("images"), ["pool-info", "--pool", "images", "--bytes"]);
  assertThrows(() => poolInfoArgs("--all"), CommandBuildError, "cannot start with '-'");
  assertEquals(volListArgs("images"), ["vol-list", "--pool", "images"]);
  assertEquals(volPathArgs("images", "a.qcow2"), [
    "vol-path",
    "--vol",
    "a.qcow2",
    "--pool",
    "images",
  ]);
  assertEquals(volDeleteArgs("images", "a.qcow2"), [
    "vol-delete",
    "--vol",
    "a.qcow2",
    "--pool",
    "images",
  ]);
  assertThrows(() => volDeleteArgs("images", "../etc/passwd"), CommandBuildError, "volume name");
  assertThrows(() => volPathArgs("images", "-x"), CommandBuildError);
});

Deno.test("vol-create-as: explicit format, capacity in bytes, backing with its format", () => {
  assertEquals(
    volCreateAsArgs({ pool: "images", name: "c.qcow2", capacityBytes: 67108864, format: "qcow2" }),
    [
      "vol-create-as",
      "--pool",
      "images",
      "--name",
      "c.qcow2",
      "--capacity",
      "67108864",
      "--format",
      "qcow2",
    ],
  );
  assertEquals(
    volCreateAsArgs({
      pool: "images",
      name: "top.qcow2",
      capacityBytes: 1024,
      format: "qcow2",
      backing: { volume: "/var/lib/libvirt/images/base.raw", format: "raw" },
    }).slice(-4),
    ["--backing-vol", "/var/lib/libvirt/images/base.raw", "--backing-vol-format", "raw"],
  );
  assertThrows(
    () =>
      volCreateAsArgs({
        pool: "images",
        name: "c.raw",
        capacityBytes: 1024,
        format: "raw",
        backing: { volume: "/b.qcow2", format: "qcow2" },
      }),
    CommandBuildError,
    "qcow2",
  );
  assertThrows(
    () => volCreateAsArgs({ pool: "images", name: "c", capacityBytes: 0, format: "qcow2" }),
    CommandBuildError,
    "positive",
  );
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => volCreateAsArgs({ pool: "images", name: "c", capacityBytes: 1, format: "auto" as any }),
    CommandBuildError,
    "explicit format",
  );
});
