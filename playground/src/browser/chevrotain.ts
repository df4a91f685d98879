/** Browser version of src/syntax/chevrotain.ts: the bundler takes chevrotain as it is. */
export * from "chevrotain";
