import { isAbsolute, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { CATALOG, type DiagnosticCode } from "./catalog.js";
import type { Diagnostic } from "./diagnostic.js";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

export interface SarifOptions {
  /** The tool's version (package.json). */
  version: string;
  /** Folder the artifact URIs are relative to (the current directory). */
  baseDir: string;
}

/** Every catalog code, in catalog order: SARIF rules are indexed by this order. */
const CODES = Object.keys(CATALOG) as DiagnosticCode[];

/** "unknown-name" → "Unknown name". */
function describe(id: string): string {
  const words = id.replace(/-/g, " ");
  return words[0]!.toUpperCase() + words.slice(1) + ".";
}

/**
 * SARIF 2.1.0 (GitHub code scanning, IDE viewers): one run, one rule per
 * catalog code (id = the code, name = its stable kebab-case id), one result
 * per diagnostic. Regions are 1-based, end column exclusive, in UTF-16 code
 * units as the checker counts them (declared with `columnKind`).
 */
export function renderSarif(diagnostics: readonly Diagnostic[], options: SarifOptions): string {
  const rules = CODES.map((code) => ({
    id: code,
    name: CATALOG[code].id,
    shortDescription: { text: describe(CATALOG[code].id) },
    defaultConfiguration: { level: CATALOG[code].severity },
  }));
  const region = (range: Diagnostic["range"]) => ({ startLine: range.start.line, startColumn: range.start.column, endLine: range.end.line, endColumn: range.end.column });
  const location = (file: string, range: Diagnostic["range"]) => ({
    physicalLocation: { artifactLocation: { uri: artifactUri(file, options.baseDir) }, region: region(range) },
  });
  const results = diagnostics.map((d) => ({
    ruleId: d.code,
    ruleIndex: CODES.indexOf(d.code),
    level: d.severity,
    message: { text: d.message },
    locations: [location(d.file, d.range)],
    ...(d.related && d.related.length > 0 && {
      relatedLocations: d.related.map((r, k) => ({ id: k, ...location(d.file, r.range), message: { text: r.message } })),
    }),
    // SARIF's own fix shape (§3.55): each fix one artifact change, one replacement.
    ...(d.fixes && d.fixes.length > 0 && {
      fixes: d.fixes.map((f) => ({
        description: { text: f.title },
        artifactChanges: [
          { artifactLocation: { uri: artifactUri(d.file, options.baseDir) }, replacements: [{ deletedRegion: region(f.range), insertedContent: { text: f.newText } }] },
        ],
      })),
    }),
  }));
  const log = {
    $schema: SARIF_SCHEMA,
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "mtl", version: options.version, semanticVersion: options.version, rules } },
        columnKind: "utf16CodeUnits",
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}

/** A relative URI (forward slashes, escaped) for files under baseDir, else a file: URI. */
function artifactUri(file: string, baseDir: string): string {
  const rel = relative(baseDir, file);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return pathToFileURL(file).href;
  return rel.split(sep).map(encodeURIComponent).join("/");
}
