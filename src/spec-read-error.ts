/** A spec file that cannot be read at all (missing, a folder, no permission): a usage error, exit 2. */
export class SpecReadError extends Error {
  override name = "SpecReadError";
}
