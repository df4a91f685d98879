/**
 * A bad value in one field. The codecs know the column but not the file or
 * the line, so they throw this and the row loop, which knows both, turns it
 * into a `DataError`; that keeps the per-value code free of context plumbing.
 */
export class FieldError extends Error {
  constructor(
    message: string,
    readonly field: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "FieldError";
  }
}

/** How a raw value is quoted in messages: strings in quotes, long ones cut short. */
export function describeValue(value: unknown): string {
  if (typeof value !== "string") return String(value);
  const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return `'${shown}'`;
}
