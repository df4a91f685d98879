"""mtl model folders: the trained model as `mtl train` saves it, read and written here.

A folder holds model.json (the TensorFlow.js topology mtl compiled, in
tfjs_model.json) with one weights.<hash>.bin of float32 values in the order
model.json lists them, encoding.json, ir.json, spec.mtl, metrics.json and
manifest.json (size and SHA-256 of every other file), written last: every
file is written atomically, and the manifest's rename commits the folder.
`mtl predict`, `mtl eval`, loadScorer and `mtl compile --target ts --model`
read it unchanged.
"""

import hashlib
import json
import os
import tempfile

import numpy as np
import torch

from model import TFJS_WEIGHTS

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST_FORMAT = "mtl-model"


def _parameters(model):
    return {**dict(model.named_parameters()), **dict(model.named_buffers())}


def tfjs_arrays(model):
    """The model's weights as mtl names and lays them out: (tfjs name, float32 array), in model.json's order."""
    tensors = _parameters(model)
    arrays = []
    for tfjs_name, name, transposed in TFJS_WEIGHTS:
        value = tensors[name].detach().cpu().to(torch.float32)
        arrays.append((tfjs_name, (value.T if transposed else value).contiguous().numpy()))
    return arrays


def load_tfjs_weights(model, folder):
    """Copies the weights of an mtl model folder (or of this package's trained/) into `model`."""
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as f:
        layout = json.load(f)
    by_name = {}
    for group in layout["weightsManifest"]:
        data = b"".join(_read(os.path.join(folder, p)) for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            size = int(np.prod(spec["shape"], dtype=np.int64))
            by_name[spec["name"]] = np.frombuffer(data, dtype="<f4", count=size, offset=offset).reshape(spec["shape"])
            offset += size * 4
    tensors = _parameters(model)
    with torch.no_grad():
        for tfjs_name, name, transposed in TFJS_WEIGHTS:
            if tfjs_name not in by_name:
                raise ValueError(f"{folder}/model.json has no weight '{tfjs_name}': the folder holds another model")
            value = torch.from_numpy(by_name[tfjs_name].copy())
            tensors[name].copy_(value.T if transposed else value)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def write_atomic(path, data):
    """Temp file in the same folder, fsync, rename: a reader sees the old file or the new one, never a torn one."""
    folder = os.path.dirname(path) or "."
    fd, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def sync_folder(folder):
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _json_bytes(value):
    return (json.dumps(value, indent=2, allow_nan=False) + "\n").encode("utf-8")


def save_model_dir(folder, model, encoding, metrics):
    """Writes `folder` as an mtl model folder, replacing any model there."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(HERE, "tfjs_model.json"), encoding="utf-8") as f:
        tfjs = json.load(f)
    arrays = tfjs_arrays(model)
    specs = tfjs["weightSpecs"]
    if [name for name, _ in arrays] != [s["name"] for s in specs]:
        raise RuntimeError("model.py and tfjs_model.json list different weights: compile the package again")
    for (name, array), spec in zip(arrays, specs):
        if list(array.shape) != spec["shape"]:
            raise RuntimeError(f"weight '{name}' has shape {list(array.shape)}, model.json says {spec['shape']}")
        if not np.isfinite(array).all():
            raise RuntimeError(f"weight '{name}' holds NaN or infinite values: training diverged (a lower learning rate often helps)")
    weights = b"".join(array.astype("<f4").tobytes() for _, array in arrays)
    weights_name = f"weights.{hashlib.sha256(weights).hexdigest()[:16]}.bin"
    model_json = {
        "modelTopology": tfjs["modelTopology"],
        "weightsManifest": [{"paths": [weights_name], "weights": specs}],
        "format": tfjs["format"],
        "generatedBy": tfjs["generatedBy"],
        "convertedBy": None,
    }
    files = {
        weights_name: weights,
        "model.json": json.dumps(model_json).encode("utf-8"),
        "encoding.json": _json_bytes(encoding),
        "ir.json": _read(os.path.join(HERE, "ir.json")),
        "spec.mtl": _read(os.path.join(HERE, "spec.mtl")),
        "metrics.json": _json_bytes(metrics),
    }
    for name, data in files.items():
        write_atomic(os.path.join(folder, name), data)
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": 1,
        "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in files.items()},
    }
    sync_folder(folder)
    write_atomic(os.path.join(folder, "manifest.json"), _json_bytes(manifest))
    sync_folder(folder)
    for entry in os.listdir(folder):
        if entry.startswith("weights.") and entry.endswith(".bin") and entry != weights_name:
            os.unlink(os.path.join(folder, entry))
