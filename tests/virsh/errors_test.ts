import { assertEquals } from "@std/assert";
import { cleanLibvirtMessage } from "../../server/virsh/errors.ts";

// What virsh 9.0 prints on stderr (captured from the lab), and the sentence blockboard shows.
const CASES: [string, string, string][] = [
  [
    "a refused connection keeps libvirt's nesting",
    "error: failed to connect to the hypervisor\n" +
    "error: unable to connect to server at '10.77.51.2:16509': Connection refused\n",
    "failed to connect to the hypervisor: unable to connect to server at '10.77.51.2:16509': Connection refused",
  ],
  [
    "the generic first line is dropped",
    "error: Failed to start domain 'x'\nerror: Requested operation is not valid: domain is already running\n",
    "Requested operation is not valid: domain is already running",
  ],
  [
    "one line stays as it is",
    "error: Domain not found: no domain with matching name 'nope'\n",
    "Domain not found: no domain with matching name 'nope'",
  ],
  ["only a generic line: kept", "error: Failed to get domain 'x'\n", "Failed to get domain 'x'"],
  ["empty", "", ""],
];

for (const [name, stderr, expected] of CASES) {
  Deno.test(`cleanLibvirtMessage: ${name}`, () => {
    assertEquals(cleanLibvirtMessage(stderr), expected);
  });
}
