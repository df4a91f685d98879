"""Streaming readers for the spec's data layouts, as mtl reads them.

A record is (line, fields): the 1-based line of the file and the field
values by column name, a missing value (one of the spec's missing markers,
compared after trimming) being None. CSV and TSV (optionally gzipped) and
JSON Lines are read here; Parquet needs pyarrow.
"""

import csv
import gzip
import io
import json
import os
import random

from spec import DATA

_FORMATS = {
    "csv": ("csv", ","),
    "tsv": ("csv", "\t"),
    "tab": ("csv", "\t"),
    "jsonl": ("jsonl", None),
    "ndjson": ("jsonl", None),
    "parquet": ("parquet", None),
    "pq": ("parquet", None),
}


class DataError(Exception):
    """A problem with a data file, worded as `file:line: message`."""


def file_format(path):
    """(format, delimiter) from the file's extension, else the spec's data section."""
    parts = os.path.basename(path).lower().split(".")
    if parts and parts[-1] in ("gz", "gzip"):
        parts = parts[:-1]
    known = _FORMATS.get(parts[-1]) if len(parts) > 1 else None
    return known or (DATA["format"], DATA["delimiter"])


def records(path):
    """Every record of `path`, in file order."""
    fmt, delimiter = file_format(path)
    if fmt == "csv":
        return _csv_records(path, delimiter or DATA["delimiter"])
    if fmt == "jsonl":
        return _jsonl_records(path)
    return _parquet_records(path)


def shard(stream, rank, world):
    """This rank's share of a stream: the records whose position modulo `world` is `rank`."""
    for i, record in enumerate(stream):
        if i % world == rank:
            yield record


def shuffled(stream, buffer, seed):
    """A seeded shuffle buffer of `buffer` records (1 keeps the order), like `mtl train --shuffle-buffer`."""
    if buffer <= 1:
        yield from stream
        return
    rng = random.Random(seed)
    held = []
    for record in stream:
        if len(held) < buffer:
            held.append(record)
            continue
        i = rng.randrange(buffer)
        yield held[i]
        held[i] = record
    rng.shuffle(held)
    yield from held


def _text(path):
    with open(path, "rb") as probe:
        magic = probe.read(2)
    raw = gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def _missing():
    return {m.strip() for m in DATA["missing"]}


def _csv_records(path, delimiter):
    missing = _missing()
    trim = DATA["trim"]
    with _text(path) as text:
        reader = csv.reader(text, delimiter=delimiter)
        names = DATA["columns"]
        if DATA["header"] or names is None:
            try:
                names = [n.strip() for n in next(reader)]
            except StopIteration:
                raise DataError(f"{path}: the file is empty: no header and no rows") from None
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if len(values) == 0 or (len(values) == 1 and values[0].strip() == "" and len(names) != 1):
                continue
            if len(values) != len(names):
                raise DataError(f"{path}:{start}: {len(values)} fields, but the header names {len(names)} columns")
            fields = {}
            for name, value in zip(names, values):
                if trim:
                    value = value.strip()
                fields[name] = None if value.strip() in missing else value
            yield start, fields


def _jsonl_records(path):
    missing = _missing()
    with _text(path) as text:
        for line, raw in enumerate(text, start=1):
            if raw.strip() == "":
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as error:
                raise DataError(f"{path}:{line}: invalid JSON: {error.msg}") from None
            if not isinstance(value, dict):
                raise DataError(f"{path}:{line}: a line must hold one JSON object")
            yield line, {name: _json_field(v, missing) for name, v in value.items()}


def _json_field(value, missing):
    if isinstance(value, str):
        return None if value.strip() in missing else value
    if isinstance(value, list):
        return [None if isinstance(v, str) and v.strip() in missing else (json.dumps(v) if isinstance(v, (dict, list)) else v) for v in value]
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _parquet_records(path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(f"{path}: reading Parquet here needs pyarrow (pip install pyarrow); or convert the file to CSV or JSON Lines") from None
    missing = _missing()
    line = 0
    for batch in pq.ParquetFile(path).iter_batches():
        for row in batch.to_pylist():
            line += 1
            yield line, {name: _json_field(v, missing) for name, v in row.items()}
