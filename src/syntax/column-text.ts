/** What a name looks like (the lexer's Identifier); here, apart from chevrotain, so the encoder can quote columns without loading it. */
export const NAME_PATTERN = /[A-Za-z_][A-Za-z0-9_]*/;

const IDENTIFIER = new RegExp(`^(?:${NAME_PATTERN.source})$`);

/** Whether `text` is a name as the lexer reads one. */
export function isIdentifier(text: string): boolean {
  return IDENTIFIER.test(text);
}

/** A column as a spec writes it: a name if it is one, else a string (`"class of worker"`). */
export function columnText(column: string): string {
  return IDENTIFIER.test(column) ? column : JSON.stringify(column);
}

/** `is "A" | "B"`, the values after a label's or a where's column. */
export function isValuesText(values: readonly string[]): string {
  return `is ${values.map((v) => JSON.stringify(v)).join(" | ")}`;
}
