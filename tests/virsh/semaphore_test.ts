/** The runner's slot counter: order of waiters, release once. */
import { assertEquals } from "@std/assert";
import { Semaphore } from "../../server/virsh/semaphore.ts";

Deno.test("Semaphore: tryAcquire never queues; waiters get slots in order; a double release frees one", async () => {
  const s = new Semaphore(1);
  const first = s.tryAcquire()!;
  assertEquals(s.tryAcquire(), null);
  const order: number[] = [];
  const a = s.acquire().then((r) => (order.push(1), r));
  const b = s.acquire().then((r) => (order.push(2), r));
  first();
  first(); // a second call must not free another slot
  const ra = await a;
  assertEquals(order, [1]);
  ra();
  (await b)();
  assertEquals(order, [1, 2]);
  const again = s.tryAcquire();
  assertEquals(typeof again, "function");
  assertEquals(s.tryAcquire(), null);
});
