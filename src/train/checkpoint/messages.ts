/**
 * The words for checkpoint failures: what happened, what is still intact,
 * and the command that continues the run.
 */
import { CheckpointError } from "../../errors.js";
import { type CheckpointPlace } from "../interrupted.js";

/** The command that continues a run saved in `out`. */
export function resumeCommand(out: string): string {
  return `mtl train --resume ${/^[\w./:@%+=,-]+$/.test(out) ? out : `'${out.replaceAll("'", "'\\''")}'`}`;
}

export function describePlace(place: Pick<CheckpointPlace, "steps" | "epoch" | "batch" | "epochComplete">): string {
  return `step ${place.steps}, ${place.epochComplete ? `end of epoch ${place.epoch}` : `epoch ${place.epoch}, batch ${place.batch}`}`;
}

/** What an operating-system error means for writing files, in a user's words. */
export function systemProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case "ENOSPC":
      return "no space left on the device (ENOSPC)";
    case "EDQUOT":
      return "the disk quota is exceeded (EDQUOT)";
    case "EACCES":
    case "EPERM":
      return `permission denied (${code})`;
    case "EROFS":
      return "the file system is read-only (EROFS)";
    case "ENOTDIR":
      return "a part of the path is a file, not a folder (ENOTDIR)";
    case "EIO":
      return "the disk reported an input/output error (EIO)";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** A checkpoint could not be written; the previous one (if any) is intact. */
export function checkpointWriteError(error: unknown, dir: string, out: string, previous: CheckpointPlace | null): CheckpointError {
  const fix = fixFor(error);
  const kept = previous
    ? `The previous checkpoint (${describePlace(previous)}) in ${dir} is intact: ${fix}, then continue with \`${resumeCommand(out)}\``
    : `No checkpoint was saved before: ${fix}, then train again`;
  return new CheckpointError(`cannot write a checkpoint to ${dir}: ${systemProblem(error)}. ${kept}.`);
}

/** The final model could not be saved; the checkpoint (if any) still holds the trained state. */
export function modelSaveError(error: unknown, out: string, checkpoint: CheckpointPlace | null): CheckpointError {
  const fix = fixFor(error);
  const kept = checkpoint
    ? `The checkpoint (${describePlace(checkpoint)}) in ${checkpoint.dir} holds the trained state: ${fix}, then save the model with \`${resumeCommand(out)}\``
    : `${fix[0]!.toUpperCase()}${fix.slice(1)}, then train again`;
  return new CheckpointError(`cannot save the model to ${out}: ${systemProblem(error)}. ${kept}.`);
}

function fixFor(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOSPC" || code === "EDQUOT") return "free some space";
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") return "make the folder writable";
  return "fix the cause";
}

/** A fresh run into a folder whose run is not finished: it would throw away what a resume continues. */
export function unfinishedRunError(out: string, where: string): CheckpointError {
  return new CheckpointError(`${out} holds an unfinished run (${where}): continue it with \`${resumeCommand(out)}\`, or pass --force to start afresh`);
}

/** A run into a folder that holds no run or model of mtl's, but files that saving the model would overwrite. */
export function foreignFilesError(out: string, names: string[]): CheckpointError {
  return new CheckpointError(`${out} is not an mtl model folder, but holds ${names.join(", ")}, which saving the model would overwrite: choose another --out folder (a new or empty one), or pass --force to overwrite them`);
}

/** A run into a folder holding a finished model that another run made (`why` says how it differs). */
export function finishedModelError(out: string, why: string): CheckpointError {
  return new CheckpointError(`${out} holds a finished model ${why}: pass --force to train it again (replacing it), or choose another --out folder`);
}

/** The run record could not be written at the start: nothing else was written either. */
export function recordWriteError(error: unknown, path: string): CheckpointError {
  return new CheckpointError(`cannot write ${path}: ${systemProblem(error)}; ${fixFor(error)}, then train again`);
}
