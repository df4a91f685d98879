/** Whether a backend can be used here, and if not, a short human reason. */
export type Availability = { readonly available: true } | { readonly available: false; readonly why: string };

export const AVAILABLE: Availability = { available: true };

export function unavailable(why: string): Availability {
  return { available: false, why };
}

/** First line of an error message: loader errors can be very long. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n", 1)[0]!.trim();
}
