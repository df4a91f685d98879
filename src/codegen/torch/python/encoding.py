"""Feature and label encoding, identical to mtl's.

The same MurmurHash3 buckets (src/portable/hash.ts), vocabulary rows,
transforms, normalisation and sequence ids (src/portable/encoding.ts), and
the same label and `where` decoding (src/data/encode), so that a row encodes
to the same numbers here as in `mtl train`, `mtl predict` and a generated
TypeScript module. The statistics are fitted in one streaming pass, in
float64 with Welford's updates, as mtl fits them.
"""

import math
import re

import numpy as np

from spec import FEATURES, NUMERIC_BLOCKS, TASKS

HASH_SEED = 0
PAD_ID = -1
FLOAT32_MAX = 3.4028234663852886e38
ENCODING_STATE_VERSION = 1

_C1 = 0xCC9E2D51
_C2 = 0x1B873593
_MASK = 0xFFFFFFFF


def murmur3_32(data, seed=0):
    """MurmurHash3_x86_32 of `data` (bytes), unsigned: mmh3.hash(data, seed, signed=False)."""
    h = seed & _MASK
    end = len(data) & ~3
    for i in range(0, end, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
        h = ((h << 13) | (h >> 19)) & _MASK
        h = (h * 5 + 0xE6546B64) & _MASK
    tail = len(data) & 3
    if tail:
        k = data[end]
        if tail > 1:
            k |= data[end + 1] << 8
        if tail > 2:
            k |= data[end + 2] << 16
        k = (k * _C1) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * _C2) & _MASK
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    return h ^ (h >> 16)


_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8(text):
    """UTF-8 bytes, a lone surrogate becoming U+FFFD as JavaScript's TextEncoder makes it."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")


def hash_bucket(text, buckets):
    return murmur3_32(utf8(text), HASH_SEED) % buckets


def js_string(value):
    """The text a JSON value is hashed or looked up by: JavaScript's String(value)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return js_number(value)


def js_number(x):
    """Number.prototype.toString(): the shortest round-trip digits, in JavaScript's notation."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exponent = repr(abs(float(x))).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + int(exponent or 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    e = point - 1
    shown = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{shown}e{'+' if e > 0 else '-'}{abs(e)}"


class FieldError(Exception):
    """A value that cannot be encoded; the reader adds the file and line."""

    def __init__(self, message, column):
        super().__init__(message)
        self.column = column


_DECIMAL = re.compile(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$")


def parse_number(value, column, what, accept_boolean):
    """None for a missing value, else a finite number a float32 can hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        if accept_boolean:
            return 1.0 if value else 0.0
        raise FieldError(f"{what}: {value!r} is not a number", column)
    if isinstance(value, str):
        if not _DECIMAL.match(value):
            raise FieldError(f"{what}: {value!r} is not a number (numeric columns take plain decimal numbers such as 3.5, -2 or 1e-3)", column)
        x = float(value)
    elif isinstance(value, (int, float)):
        x = float(value)
    else:
        raise FieldError(f"{what}: {value!r} is not a number", column)
    if not abs(x) <= FLOAT32_MAX:
        raise FieldError(f"{what}: {value!r} does not fit in a 32-bit float", column)
    return x


def transform_value(transform, x):
    if transform == "none":
        return x
    if transform == "log1p":
        return math.log1p(x) if x > -1 else math.nan
    return math.sqrt(x) if x >= 0 else math.nan


def transformed(feature, x):
    y = transform_value(feature["transform"], x)
    if y != y:
        domain = "greater than -1" if feature["transform"] == "log1p" else "at least 0"
        raise FieldError(f"feature '{feature['name']}': transform {feature['transform']} needs a value {domain}, got {x}", feature["column"])
    return y


def normalization(normalize, stats):
    """(center, scale) of a normalised value (transformed - center) / scale; a zero spread counts as 1."""
    if normalize == "zscore":
        return stats["mean"], stats["std"] or 1.0
    if normalize == "minmax":
        spread = stats["max"] - stats["min"]
        return stats["min"], spread or 1.0
    return 0.0, 1.0


class CategoricalCodec:
    """Hash buckets (missing: the bucket of ""), or vocabulary rows (0: unknown or missing)."""

    def __init__(self, feature):
        encoding = feature["encoding"]
        self.vocab = None
        if encoding["type"] == "hash":
            self.rows = encoding["buckets"]
        else:
            self.vocab = {}
            for i, word in enumerate(encoding["vocab"]):
                self.vocab.setdefault(word, i + 1)
            self.rows = len(encoding["vocab"]) + 1
        # Ids repeat heavily in click logs: hashing each distinct text once is most of the speed.
        self.cache = {}
        self.missing_id = self.text_id("") if self.vocab is None else 0

    def text_id(self, text):
        if self.vocab is not None:
            return self.vocab.get(text, 0)
        found = self.cache.get(text)
        if found is None:
            found = hash_bucket(text, self.rows)
            if len(self.cache) < 1_000_000:
                self.cache[text] = found
        return found

    def encode(self, value):
        return self.missing_id if value is None else self.text_id(js_string(value))


def sequence_ids(value, sep, max_len, item_id):
    """The last `max_len` non-empty items, oldest first, padded with PAD_ID."""
    if value is None:
        items = []
    elif isinstance(value, list):
        items = [js_string(v) for v in value if v is not None]
    elif isinstance(value, str):
        items = value.split(sep)
    else:
        items = [js_string(value)]
    ids = [item_id(item) for item in items if item != ""][-max_len:]
    return ids + [PAD_ID] * (max_len - len(ids))


def binary_decoder(label, role):
    positives = label["positives"]
    column = label["column"]
    if positives is not None:
        wanted = set(positives)
        return lambda value: None if value is None else (1.0 if js_string(value) in wanted else 0.0)

    def decode(value):
        if value is None:
            return None
        if value is True or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 1):
            return 1.0
        if value is False or (isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0):
            return 0.0
        if isinstance(value, str):
            lower = value.lower()
            if value == "1" or lower == "true":
                return 1.0
            if value == "0" or lower == "false":
                return 0.0
        raise FieldError(f"{role} column '{column}' must be 0/1 or true/false, got {js_string(value)!r}", column)

    return decode


def label_decoder(task):
    label = task["label"]
    if task["type"] == "binary":
        return binary_decoder(label, "label")
    what = f"label column '{label['column']}'"
    return lambda value: parse_number(value, label["column"], what, False)


class TaskCodec:
    """A task's label and `where` mask for one row, checked as mtl checks them."""

    def __init__(self, task):
        self.name = task["name"]
        self.label = task["label"]
        self.where = task["where"]
        self.decode_label = label_decoder(task) if self.label else None
        self.decode_where = binary_decoder(self.where, "where") if self.where else None
        self.weight = task["sampleWeight"]
        # A row's mask is then its weight: the `where` value times the sample weight.
        self.masked = self.where is not None or self.weight is not None

    def encode(self, fields):
        mask = 1.0
        if self.where is not None:
            column = self.where["column"]
            mask = self.decode_where(fields.get(column))
            if mask is None:
                raise FieldError(f"task '{self.name}': where column '{column}' is missing", column)
        y = None
        if self.label is not None:
            column = self.label["column"]
            y = self.decode_label(fields.get(column))
            if y is None:
                if mask != 0:
                    raise FieldError(f"task '{self.name}': label column '{column}' is missing", column)
                y = 0.0
        if self.weight is not None:
            w = self.decode_weight(fields.get(self.weight))
            if w is None:
                if mask != 0:
                    raise FieldError(f"task '{self.name}': sample weight column '{self.weight}' is missing", self.weight)
                w = 0.0
            mask = mask * w
        return y, mask

    def decode_weight(self, value):
        what = f"task '{self.name}': sample weight column '{self.weight}'"
        w = parse_number(value, self.weight, what, False)
        if w is not None and not w >= 0:
            raise FieldError(f"{what} must be at least 0, got {value!r}", self.weight)
        return w


class NumericAccumulator:
    """Welford's mean and deviation of the transformed values; missing rows merged at the end as a block."""

    def __init__(self, feature):
        self.feature = feature
        self.present = 0
        self.missing = 0
        self.raw_mean = 0.0
        self.mean = 0.0
        self.m2 = 0.0
        self.min = math.inf
        self.max = -math.inf

    def add(self, raw, value):
        self.present += 1
        n = self.present
        self.raw_mean += (raw - self.raw_mean) / n
        delta = value - self.mean
        self.mean += delta / n
        self.m2 += delta * (value - self.mean)
        self.min = min(self.min, value)
        self.max = max(self.max, value)

    def finish(self):
        f = self.feature
        fill_value = self.raw_mean if f["fill"] == "mean" and self.present > 0 else 0.0
        mean, m2, low, high = self.mean, self.m2, self.min, self.max
        total = self.present + self.missing
        if self.missing > 0:
            filled = transform_value(f["transform"], fill_value)
            delta = filled - mean
            mean += delta * self.missing / total
            m2 += delta * delta * self.present * self.missing / total
            low = min(low, filled)
            high = max(high, filled)
        if total == 0:
            mean = low = high = 0.0
        return {
            "kind": "numeric",
            "column": f["column"],
            "transform": f["transform"],
            "fill": f["fill"],
            "normalize": f["normalize"],
            "present": self.present,
            "missing": self.missing,
            "fillValue": fill_value,
            "mean": mean,
            "std": math.sqrt(max(0.0, m2) / total) if total > 0 else 0.0,
            "min": low,
            "max": high,
        }


NUMERIC = [f for f in FEATURES if f["kind"] == "numeric"]


def fit(records):
    """The encoding state (a model folder's encoding.json) of the rows `records` yields as (line, fields)."""
    accumulators = [NumericAccumulator(f) for f in NUMERIC]
    tasks = [TaskCodec(t) for t in TASKS]
    rows = 0
    for line, fields in records:
        values = []
        for f in NUMERIC:
            x = _checked(line, parse_number, fields.get(f["column"]), f["column"], f"feature '{f['name']}'", True)
            values.append(None if x is None else (x, _checked(line, transformed, f, x)))
        for task in tasks:
            _checked(line, task.encode, fields)
        for accumulator, value in zip(accumulators, values):
            if value is None:
                accumulator.missing += 1
            else:
                accumulator.add(*value)
        rows += 1
    return {
        "version": ENCODING_STATE_VERSION,
        "rows": rows,
        "features": {f["name"]: a.finish() for f, a in zip(NUMERIC, accumulators)},
    }


class RowError(Exception):
    """A bad row: `line` is the 1-based line of the data file."""

    def __init__(self, line, message):
        super().__init__(f"line {line}: {message}")
        self.line = line


def _checked(line, function, *args):
    try:
        return function(*args)
    except FieldError as error:
        raise RowError(line, f"{error} (field '{error.column}')") from None


class Encoder:
    """Rows to arrays: ids int64 [n, 1] or [n, maxLen], numbers float32 [n, 1] (a numeric block [n, width]), labels and masks float32 [n]."""

    def __init__(self, state):
        self.state = state
        missing = [f["name"] for f in NUMERIC if f["name"] not in state["features"]]
        if missing:
            raise ValueError(f"the encoding state has no statistics for {', '.join(missing)}: it was fitted for another spec")
        self.categorical = {f["name"]: CategoricalCodec(f) for f in FEATURES if f["kind"] == "categorical"}
        self.numeric = []
        for f in NUMERIC:
            stats = state["features"][f["name"]]
            center, scale = normalization(f["normalize"], stats)
            missing_value = (transformed(f, stats["fillValue"]) - center) / scale
            self.numeric.append((f, center, scale, missing_value))
        self.tasks = [TaskCodec(t) for t in TASKS]

    def encode(self, records, with_labels=True):
        """Features (and labels and masks) of a list of (line, fields), as numpy arrays by name."""
        features = {}
        for f in FEATURES:
            column = f["column"]
            values = [fields.get(column) for _, fields in records]
            if f["kind"] == "categorical":
                codec = self.categorical[f["name"]]
                features[f["name"]] = np.array([codec.encode(v) for v in values], dtype=np.int64).reshape(-1, 1)
            elif f["kind"] == "sequence":
                codec = self.categorical[f["of"]]
                ids = [sequence_ids(v, f["sep"], f["maxLen"], codec.text_id) for v in values]
                features[f["name"]] = np.array(ids, dtype=np.int64).reshape(-1, f["maxLen"])
        for f, center, scale, missing_value in self.numeric:
            out = np.empty(len(records), dtype=np.float64)
            for i, (line, fields) in enumerate(records):
                x = _checked(line, parse_number, fields.get(f["column"]), f["column"], f"feature '{f['name']}'", True)
                out[i] = missing_value if x is None else (_checked(line, transformed, f, x) - center) / scale
                if not abs(out[i]) <= FLOAT32_MAX:
                    raise RowError(line, f"feature '{f['name']}': {x} is beyond the 32-bit float range once normalized")
            features[f["name"]] = out.astype(np.float32).reshape(-1, 1)
        # A block is its features side by side, as the network reads them (the IR's numericBlocks).
        for block in NUMERIC_BLOCKS:
            features[block["name"]] = np.concatenate([features.pop(name) for name in block["features"]], axis=1)
        if not with_labels:
            return features, {}, {}
        labels, masks = {}, {}
        for task in self.tasks:
            pairs = [_checked(line, task.encode, fields) for line, fields in records]
            if task.label is not None:
                labels[task.name] = np.array([y for y, _ in pairs], dtype=np.float32)
            if task.masked:
                masks[task.name] = np.array([m for _, m in pairs], dtype=np.float32)
        return features, labels, masks
