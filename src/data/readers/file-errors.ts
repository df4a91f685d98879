import { DataError } from "../record.js";

/**
 * Turns an operating-system error about `file` into a DataError a user can
 * act on. Anything unrecognised keeps the system's own wording, which is
 * still better than a stack trace.
 */
export function fileError(file: string, err: unknown): DataError {
  if (err instanceof DataError) return err;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case "ENOENT":
      return new DataError(file, null, "file not found", `check the path; relative paths start at ${process.cwd()}`);
    case "ENOTDIR":
      return new DataError(file, null, "file not found: a part of the path is a file, not a folder", "check the path");
    case "EISDIR":
      return new DataError(file, null, "this is a folder, not a data file", "name a data file inside the folder");
    case "EACCES":
    case "EPERM":
      return new DataError(file, null, "permission denied: this file cannot be read", "check the file's permissions, e.g. chmod a+r on it");
    case "ELOOP":
      return new DataError(file, null, "the path is a loop of symbolic links", "point it at the real file");
    case "EMFILE":
    case "ENFILE":
      return new DataError(file, null, "too many open files", "close other programs or raise the open-file limit (ulimit -n)");
    case "EIO":
      return new DataError(file, null, "the disk reported an input/output error while reading", "the storage may be failing; copy the file elsewhere and retry");
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return new DataError(file, null, `cannot read the file: ${message}`);
    }
  }
}

const TRUNCATED_GZIP_HINT = "the download or copy was probably cut short; fetch the file again (`gzip -t` checks a .gz file)";

/**
 * The compressed data of a .gz file ends before its end marker. The text
 * readers, which know how far the text got, name that line (see `at`).
 */
export class TruncatedGzipError extends DataError {
  constructor(file: string) {
    super(file, null, "the gzip data ends early: the file is truncated", TRUNCATED_GZIP_HINT);
  }

  /** The same error, naming the line of text that was being read when the data ran out. */
  at(line: number): DataError {
    return new DataError(this.file, line, `the gzip data ends early, in line ${line}: the file is truncated`, TRUNCATED_GZIP_HINT);
  }
}

/** zlib's errors come without the file name and in zlib's terms; this says what happened to the file. */
export function gzipError(file: string, err: unknown): DataError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === "Z_BUF_ERROR") return new TruncatedGzipError(file);
  if (code === "Z_DATA_ERROR" || code === "Z_NEED_DICT" || code === "Z_STREAM_ERROR") {
    const detail = err instanceof Error ? err.message : String(err);
    return new DataError(file, null, `the gzip data is corrupt (${detail})`, "fetch the file again, or decompress it with gzip to see where it breaks");
  }
  return fileError(file, err);
}
