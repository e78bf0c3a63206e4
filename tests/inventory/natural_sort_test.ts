/** Natural sort at its boundaries: digit runs, leading zeros, case, unicode, equal keys. */
import { assert, assertEquals } from "@std/assert";
import { naturalCompare, naturalSort } from "../../server/inventory/natural_sort.ts";

const sorted = (names: string[]) => naturalSort(names, (n) => n);

Deno.test("digit runs compare by value: vm-2 before vm-10, and several runs in one name", () => {
  assertEquals(sorted(["vm-10", "vm-2", "vm-1", "vm-100"]), ["vm-1", "vm-2", "vm-10", "vm-100"]);
  assertEquals(sorted(["a1b10", "a1b2", "a10b1", "a2b1"]), ["a1b2", "a1b10", "a2b1", "a10b1"]);
  assertEquals(sorted(["x10", "x9", "x"]), ["x", "x9", "x10"]);
});

Deno.test("digit runs longer than a float holds still compare exactly", () => {
  const big = "vm-123456789012345678901234567890";
  const bigger = "vm-123456789012345678901234567891";
  assert(naturalCompare(big, bigger) < 0);
  assert(naturalCompare("vm-99999999999999999999", "vm-100000000000000000000") < 0);
});

Deno.test("leading zeros: same value sorts together, fewer zeros first", () => {
  assertEquals(sorted(["vm-010", "vm-2", "vm-02", "vm-9", "vm-002"]), [
    "vm-2",
    "vm-02",
    "vm-002",
    "vm-9",
    "vm-010",
  ]);
  assert(naturalCompare("0", "00") < 0);
});

Deno.test("case is ignored for order; a tie between spellings is broken the same way every time", () => {
  assertEquals(sorted(["beta", "Alpha", "alpha2", "ALPHA10", "Beta1"]), [
    "Alpha",
    "alpha2",
    "ALPHA10",
    "beta",
    "Beta1",
  ]);
  assert(naturalCompare("VM", "vm") < 0 && naturalCompare("vm", "VM") > 0, "total order");
  assertEquals(sorted(["vm", "VM", "Vm"]), sorted(["Vm", "vm", "VM"]));
});

Deno.test("unicode names sort by letter, not by code point; digits before letters", () => {
  assertEquals(sorted(["zeta", "émile", "eve", "Ærø", "ábc"]), [
    "ábc",
    "Ærø",
    "émile",
    "eve",
    "zeta",
  ]);
  assertEquals(sorted(["vm-a", "vm-1", "vm-"]), ["vm-", "vm-1", "vm-a"]);
  assertEquals(sorted(["日本-10", "日本-2"]), ["日本-2", "日本-10"]);
  assertEquals(sorted(["", "0", "a"]), ["", "0", "a"]);
});

Deno.test("equal keys keep their input order (stable)", () => {
  const items = [
    { k: "vm-2", id: 1 },
    { k: "vm-10", id: 2 },
    { k: "vm-2", id: 3 },
    { k: "vm-2", id: 4 },
  ];
  assertEquals(naturalSort(items, (i) => i.k).map((i) => i.id), [1, 3, 4, 2]);
  assertEquals(naturalCompare("vm-2", "vm-2"), 0);
});

Deno.test("antisymmetric and transitive over a mixed sample", () => {
  const names = ["vm-2", "VM-02", "vm-10", "vm-1a", "vm-1", "Vm-1", "émile", "e", "E1", "", "007"];
  for (const a of names) {
    for (const b of names) {
      const ab = Math.sign(naturalCompare(a, b));
      assertEquals(ab + Math.sign(naturalCompare(b, a)), 0, `${a} ${b}`);
      assertEquals(ab === 0, a === b, `only identical names tie: ${a} ${b}`);
      for (const c of names) {
        if (naturalCompare(a, b) < 0 && naturalCompare(b, c) < 0) {
          assert(naturalCompare(a, c) < 0, `${a} < ${b} < ${c}`);
        }
      }
    }
  }
});
