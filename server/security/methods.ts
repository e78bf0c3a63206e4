/**
 * Which HTTP methods cannot change state. The Origin check, the CSRF check, the role gates and
 * the refusal audit all ask this one module.
 *
 * @module
 */

/** Methods that cannot change state; every other method is checked as unsafe. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);

/** True for `GET`, `HEAD` and `OPTIONS`. */
export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}
