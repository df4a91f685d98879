// A file of the repository bundled as text: `import text from "mtl-text:specs/mmoe.mtl"` (scripts/playground/build.ts).
declare module "mtl-text:*" {
  const text: string;
  export default text;
}
