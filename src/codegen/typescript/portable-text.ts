/**
 * A src/portable module's source made ready for embedding in a generated
 * module. Apart from portable-source.ts (which reads the file) so that a
 * bundler can hand it the text instead (the browser playground does).
 */
export type PortableModule = "hash" | "encoding" | "layers";

export interface PortableSource {
  /** The module's declarations, without its imports or its file comment; its exports stay exports of the generated module. */
  text: string;
  /** Every name it declares at the top level, which the generated code must not shadow. */
  declared: string[];
}

/** `fileText`: the whole of src/portable/<module>.ts. */
export function portableFromText(module: PortableModule, fileText: string): PortableSource {
  const source = fileText.replace(/^\/\*\*[\s\S]*?\*\/\n/, "").replace(/^import .*;\n/gm, "");
  const declared = [...source.matchAll(/^(?:export )?(?:abstract )?(?:function|const|let|class|type|interface) ([A-Za-z_$][\w$]*)/gm)].map((m) => m[1]!);
  return { text: `// From mtl's src/portable/${module}.ts.\n${source.trim()}\n`, declared };
}
