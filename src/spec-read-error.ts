/** A spec file that cannot be read (missing, a folder, no permission, too large) or rewritten: a usage error, exit 2. */
export class SpecReadError extends Error {
  override name = "SpecReadError";
}
