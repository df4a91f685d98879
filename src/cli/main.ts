#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { SpecReadError } from "../compiler.js";
import { packageRoot } from "../util/package-root.js";
import { registerCheck } from "./commands/check.js";
import { registerCompile } from "./commands/compile.js";
import { EXIT_USAGE, UsageError } from "./exit-codes.js";

const { version } = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string };

function buildProgram(): Command {
  const program = new Command("mtl")
    .description("mtl: declarative multi-task ranking models (Shared-Bottom, OMoE, MMoE, PLE, ESMM), compiled to TensorFlow.js.")
    .version(version, "-v, --version")
    .showSuggestionAfterError(true)
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`mtl: ${text.replace(/^error: /, "")}`) });
  registerCheck(program);
  registerCompile(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
  }
}

/** Expected failures print one line; anything else is a bug and says so. */
function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (error instanceof UsageError || error instanceof SpecReadError) {
    process.stderr.write(`mtl: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`mtl: internal error: ${message}\nThis is a bug in mtl; please report it with the command and input that caused it.\n`);
  if (process.env["MTL_DEBUG"] && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 70;
}

await main(process.argv);
