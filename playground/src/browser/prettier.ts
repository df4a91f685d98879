/**
 * Browser version of `prettier`'s format for src/codegen/typescript: the
 * standalone build with the TypeScript parser, loaded on first use (only
 * the "TypeScript module" export needs it).
 */
import type { Options } from "prettier";

export async function format(source: string, options: Options): Promise<string> {
  const [{ format: standalone }, typescript, estree] = await Promise.all([
    import("prettier/standalone"),
    import("prettier/plugins/typescript"),
    import("prettier/plugins/estree"),
  ]);
  return standalone(source, { ...options, plugins: [typescript, estree] });
}
