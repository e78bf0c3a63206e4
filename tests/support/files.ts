/**
 * File checks the tests share.
 *
 * @module
 */

/**
 * True when something is at `path` (a link counts as itself, not its target); false when
 * nothing is; any other failure (a directory that cannot be read) is thrown, not read as "gone".
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
