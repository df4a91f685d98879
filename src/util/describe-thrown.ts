/** What was thrown, readably: not every library throws an Error ("[object Object]" says nothing). */
export function describeThrown(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string") return message;
    try {
      return JSON.stringify(error) ?? String(error);
    } catch {
      return `a thrown object with the keys ${Object.keys(error).join(", ") || "(none)"}`;
    }
  }
  return String(error);
}
