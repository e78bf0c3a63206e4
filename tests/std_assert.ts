/**
 * A thin stand-in for `@std/assert` over Deno's built-in `node:assert/strict`.
 *
 * JSR is not reachable from our build machines, so `deno.json` maps `@std/assert` here. To use the
 * real package, change the import map entry to `"@std/assert": "jsr:@std/assert@^1"`; every
 * function below has the same name and argument order as its `@std/assert` counterpart.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Asserts that `value` is truthy. */
export function assertExists<T>(value: T, msg?: string): asserts value is NonNullable<T> {
  if (value === null || value === undefined) {
    throw new assert.AssertionError({ message: msg ?? `expected a value, got ${value}` });
  }
}

/** Asserts that `expr` is truthy. */
export function assert_(expr: unknown, msg?: string): asserts expr {
  assert.ok(expr, msg);
}
export { assert_ as assert };

/** Asserts deep equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.deepStrictEqual(actual, expected, msg);
}

/** Asserts deep inequality. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  assert.notDeepStrictEqual(actual, expected, msg);
}

/** Asserts `actual === expected`. */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  msg?: string,
): asserts actual is T {
  assert.strictEqual(actual, expected, msg);
}

/** Asserts that `actual` contains `expected` as a substring. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new assert.AssertionError({
      message: msg ??
        `expected string to include ${JSON.stringify(expected)}, got ${
          JSON.stringify(actual.slice(0, 2000))
        }`,
    });
  }
}

/** Asserts that `actual` matches `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  assert.match(actual, expected, msg);
}

/** Asserts that `actual` does not match `expected`. */
export function assertNotMatch(actual: string, expected: RegExp, msg?: string): void {
  assert.doesNotMatch(actual, expected, msg);
}

/** Asserts that `actual` is an array/iterable containing every item of `expected` (deep equality). */
export function assertArrayIncludes<T>(
  actual: ArrayLike<T>,
  expected: ArrayLike<T>,
  msg?: string,
): void {
  const haystack = Array.from(actual);
  for (const item of Array.from(expected)) {
    if (
      !haystack.some((h) => {
        try {
          assert.deepStrictEqual(h, item);
          return true;
        } catch {
          return false;
        }
      })
    ) {
      throw new assert.AssertionError({
        message: msg ?? `expected array to include ${JSON.stringify(item)}`,
      });
    }
  }
}

/** Asserts `actual` is an instance of `expectedType`. */
// deno-lint-ignore no-explicit-any
export function assertInstanceOf<T extends abstract new (...args: any) => any>(
  actual: unknown,
  expectedType: T,
  msg?: string,
): asserts actual is InstanceType<T> {
  assert.ok(actual instanceof expectedType, msg ?? `expected instance of ${expectedType.name}`);
}

/** Asserts that `fn` throws; returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  ErrorClass?: new (...args: never[]) => E,
  msgIncludes?: string,
): E {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) {
    throw new assert.AssertionError({ message: "expected function to throw" });
  }
  if (ErrorClass && !(caught instanceof ErrorClass)) {
    throw new assert.AssertionError({
      message: `expected ${ErrorClass.name}, got ${String(caught)}`,
    });
  }
  if (msgIncludes && !String((caught as Error).message).includes(msgIncludes)) {
    throw new assert.AssertionError({
      message: `expected error message to include ${JSON.stringify(msgIncludes)}, got ${
        JSON.stringify((caught as Error).message)
      }`,
    });
  }
  return caught as E;
}

/** Asserts that the promise returned by `fn` rejects; resolves to the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  ErrorClass?: new (...args: never[]) => E,
  msgIncludes?: string,
): Promise<E> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  if (caught === undefined) {
    throw new assert.AssertionError({ message: "expected promise to reject" });
  }
  if (ErrorClass && !(caught instanceof ErrorClass)) {
    throw new assert.AssertionError({
      message: `expected ${ErrorClass.name}, got ${String(caught)}`,
    });
  }
  if (msgIncludes && !String((caught as Error).message).includes(msgIncludes)) {
    throw new assert.AssertionError({
      message: `expected error message to include ${JSON.stringify(msgIncludes)}, got ${
        JSON.stringify((caught as Error).message)
      }`,
    });
  }
  return caught as E;
}

/** Always throws: marks code that must not be reached. */
export function fail(msg?: string): never {
  assert.fail(msg ?? "Failed assertion");
}
