/** 0: clean; 1: the input has errors; 2: the command line itself is wrong (or a file cannot be read). */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;

/** A problem with how mtl was called: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
