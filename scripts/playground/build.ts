/**
 * Builds the browser playground (playground/) into a static site: the page
 * bundle (CodeMirror and the UI), the language worker (the checker, the
 * editor services of src/lsp, the graph and TypeScript back ends) and the
 * training worker (src/runtime, src/data/encode, src/data/synthetic on
 * TensorFlow.js's wasm backend, whose .wasm files are served by the site, and
 * the census sample, census-sample.ts), so the page works offline once loaded.
 *
 * The bundles import mtl's own modules. A few modules reach for Node and are
 * swapped for browser versions at bundle time, as a package.json "browser"
 * field would (BROWSER_SUBSTITUTES below); everything else is bundled as is,
 * and the build fails if any Node built-in is still reached.
 *
 *   node dist/scripts/playground/build.js [--out DIR] [--serve [PORT]]
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { build, type Plugin } from "esbuild";
import { packageRoot } from "../../src/util/package-root.js";
import { writeCensusSample } from "./census-sample.js";
import { serveStatic } from "./serve.js";

const ROOT = packageRoot();
const PLAYGROUND = join(ROOT, "playground");
export const DEFAULT_OUT = join(PLAYGROUND, "dist");

/** mtl module (from the package root) → its browser version (in playground/src/browser). */
const BROWSER_SUBSTITUTES: Record<string, string> = {
  // Reads src/portable/*.ts from disk; the browser version bundles the same files as text.
  "src/codegen/typescript/portable-source.ts": "portable-source.ts",
  // Finds chevrotain's one-file build beside its entry; the bundler takes the package as it is.
  "src/syntax/chevrotain.ts": "chevrotain.ts",
  // Requires the wasm backend's package (Node's require); the bundler takes the package as it is.
  "src/runtime/backend/wasm-package.ts": "wasm-package.ts",
  // Reads the IR's JSON Schema from disk; the browser version bundles the file.
  "src/ir/shape-check.ts": "shape-check.ts",
  // Loads a system OpenBLAS through koffi; a page has neither.
  "src/runtime/backend/blas/native-blas.ts": "native-blas.ts",
  // Advises the kernel through libc (koffi) to use huge pages; a page cannot.
  "src/runtime/backend/huge-pages.ts": "huge-pages.ts",
  // Saves to and loads from folders on disk; the browser version keeps the artifacts in memory.
  "src/runtime/graph/save-load.ts": "save-load.ts",
  // The language server and its JSON-RPC; the editor services import only the protocol's constants.
  "node_modules/vscode-languageserver/node.js": "vscode-languageserver.ts",
  // prettier's browser build has no parsers of its own: it must be handed them.
  "node_modules/prettier/standalone.mjs": "prettier.ts",
};

/** `import text from "mtl-text:specs/mmoe.mtl"`: a file of the repository, bundled as a string. */
function repositoryText(): Plugin {
  return {
    name: "mtl-text",
    setup(b) {
      b.onResolve({ filter: /^mtl-text:/ }, (args) => ({ path: join(ROOT, args.path.slice("mtl-text:".length)), namespace: "mtl-text" }));
      b.onLoad({ filter: /.*/, namespace: "mtl-text" }, (args) => ({ contents: readFileSync(args.path, "utf8"), loader: "text" }));
    },
  };
}

function browserSubstitutes(): Plugin {
  const byPath = new Map(Object.entries(BROWSER_SUBSTITUTES).map(([from, to]) => [join(ROOT, from), join(PLAYGROUND, "src", "browser", to)]));
  return {
    name: "mtl-browser-substitutes",
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === "substitute" || args.kind === "entry-point" || args.path.startsWith("mtl-text:")) return undefined;
        if (args.path.startsWith("node:")) return { errors: [{ text: `${relative(ROOT, args.importer)} imports ${args.path}, which a browser does not have: add a browser substitute for it in scripts/playground/build.ts` }] };
        const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: "substitute" });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        const substitute = byPath.get(resolved.path);
        return substitute && args.importer !== substitute ? { path: substitute } : undefined;
      });
    },
  };
}

export interface BuildOptions {
  out?: string;
  minify?: boolean;
}

export interface BuildReport {
  out: string;
  /** Every file of the site and its size in bytes. */
  files: Record<string, number>;
}

export async function buildPlayground(options: BuildOptions = {}): Promise<BuildReport> {
  const out = resolve(options.out ?? DEFAULT_OUT);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: {
      main: join(PLAYGROUND, "src", "main.ts"),
      "language-worker": join(PLAYGROUND, "src", "language-worker.ts"),
      "train-worker": join(PLAYGROUND, "src", "train-worker.ts"),
      sw: join(PLAYGROUND, "src", "sw.ts"),
    },
    outdir: out,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: options.minify ?? true,
    sourcemap: false,
    chunkNames: "chunks/[name]-[hash]",
    legalComments: "none",
    logLevel: "error",
    define: { "process.env.NODE_ENV": '"production"' },
    plugins: [repositoryText(), browserSubstitutes()],
  });
  for (const file of ["index.html", "style.css"]) copyFileSync(join(PLAYGROUND, file), join(out, file));
  const wasmDir = join(ROOT, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist");
  mkdirSync(join(out, "wasm"));
  for (const file of readdirSync(wasmDir).filter((f) => f.endsWith(".wasm"))) copyFileSync(join(wasmDir, file), join(out, "wasm", file));
  await writeCensusSample(out);
  const files = listFiles(out);
  writeFileSync(join(out, "files.json"), JSON.stringify(files, null, 2) + "\n");
  return { out, files };
}

function listFiles(dir: string, base = dir, into: Record<string, number> = {}): Record<string, number> {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listFiles(path, base, into);
    else into[relative(base, path)] = statSync(path).size;
  }
  return into;
}

async function main(argv: string[]): Promise<void> {
  const outAt = argv.indexOf("--out");
  const out = outAt >= 0 ? argv[outAt + 1] : undefined;
  const report = await buildPlayground(out ? { out } : {});
  const total = Object.values(report.files).reduce((a, b) => a + b, 0);
  console.log(`playground built in ${relative(process.cwd(), report.out) || "."} (${Object.keys(report.files).length} files, ${(total / 1e6).toFixed(1)} MB)`);
  const serveAt = argv.indexOf("--serve");
  if (serveAt >= 0) {
    const port = Number(argv[serveAt + 1] ?? 8080) || 8080;
    const server = await serveStatic(report.out, port);
    console.log(`serving on http://127.0.0.1:${server.port}/ (Ctrl-C to stop)`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(dirname(new URL(import.meta.url).pathname), "build.js")) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`playground: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
