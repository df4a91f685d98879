"""Runs a generated PyTorch package on a batch for the equivalence tests.

Reads a JSON request on standard input and writes its answer as JSON:
  {"cases": [{"package", "weights" (an mtl model folder), "features",
  "labels", "masks"}]}, each array as {"shape", "values"}: for each case the
  predictions (eval mode), and the loss and gradients (train mode, dropout
  off, dense embedding gradients) by TF.js weight name;
  {"encode": [{"package", "file"}]}: the encoding state fitted on the file
  and the file's rows encoded with it;
  {"predict": [{"package", "model" (an mtl model folder), "file"}]}: the
  scores of the file's rows by the model, encoded with its encoding.json;
  {"gradnorms": [a case as for "cases", with "taskWeights"]}: the loss, the
  task losses and GradNorm's gradient norms (train mode, dropout off);
  {"balancers": [{"package", "epochs": [[{"losses", "norms"}, ...], ...]}]}:
  the task weights' state (balance.py) after each epoch of those steps.
"""

import importlib
import json
import sys

import numpy as np
import torch

MODULES = ["spec", "layers", "encoding", "data", "objective", "model", "model_dir", "balance"]


def load_package(path):
    for name in MODULES:
        sys.modules.pop(name, None)
    sys.path.insert(0, path)
    try:
        return {name: importlib.import_module(name) for name in MODULES}
    finally:
        sys.path.remove(path)


def tensor(array, dtype):
    return torch.from_numpy(np.array(array["values"], dtype=dtype).reshape(array["shape"]))


def loaded(case):
    """The case's package, its model with the case's weights, and its batch as tensors."""
    package = load_package(case["package"])
    net = package["model"].Model(sparse=False)
    package["model_dir"].load_tfjs_weights(net, case["weights"])
    spec = package["spec"]
    float_features = {f["name"] for f in spec.FEATURES if f["kind"] == "numeric"} | {b["name"] for b in spec.NUMERIC_BLOCKS}
    features = {k: tensor(v, np.float32 if k in float_features else np.int64) for k, v in case["features"].items()}
    labels = {k: tensor(v, np.float32) for k, v in case["labels"].items()}
    masks = {k: tensor(v, np.float32) for k, v in case["masks"].items()}
    return package, net, features, labels, masks


def run(case):
    package, net, features, labels, masks = loaded(case)
    net.eval()
    with torch.no_grad():
        outputs, _ = net(features)
    objective = package["objective"].Objective(net)
    objective.train()
    for module in net.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    loss, losses = objective(features, labels, masks)
    loss.backward()
    parameters = dict(net.named_parameters())
    gradients = {}
    for tfjs_name, name, transposed in package["model"].TFJS_WEIGHTS:
        parameter = parameters.get(name)
        if parameter is None or parameter.grad is None:
            continue
        grad = parameter.grad.T if transposed else parameter.grad
        gradients[tfjs_name] = grad.reshape(-1).tolist()
    return {
        "predictions": {task: value.reshape(-1).tolist() for task, value in outputs.items()},
        "loss": loss.item(),
        "perTask": {task: value.item() for task, value in losses.items()},
        "gradients": gradients,
    }


def gradnorms(case):
    package, net, features, labels, masks = loaded(case)
    spec = package["spec"]
    objective = package["objective"].Objective(net)
    objective.train()
    loss, losses = objective(features, labels, masks, case["taskWeights"])
    balance = package["balance"]
    norms = balance.task_grad_norms(losses, balance.gradnorm_parameters(net, spec.GRADNORM_LAYERS, package["model"].TFJS_WEIGHTS))
    return {"loss": loss.item(), "perTask": {task: value.item() for task, value in losses.items()}, "norms": norms}


def balancers(case):
    package = load_package(case["package"])
    spec = package["spec"]
    balancer = package["balance"].create(spec.TRAIN["weighting"], [t["name"] for t in spec.TASKS if t["label"] is not None])
    states = []
    for epoch, steps in enumerate(case["epochs"], 1):
        for step in steps:
            balancer.stepped(step["losses"], step.get("norms"))
        balancer.epoch_ended(epoch)
        states.append(json.loads(json.dumps(balancer.state_dict())))
    return states


def encode(case):
    package = load_package(case["package"])
    records = list(package["data"].records(case["file"]))
    state = package["encoding"].fit(records)
    features, labels, masks = package["encoding"].Encoder(state).encode(records)
    flat = lambda arrays: {k: v.reshape(-1).tolist() for k, v in arrays.items()}
    return {"state": state, "features": flat(features), "labels": flat(labels), "masks": flat(masks)}


def predict(case):
    package = load_package(case["package"])
    net = package["model"].Model()
    package["model_dir"].load_tfjs_weights(net, case["model"])
    with open(f"{case['model']}/encoding.json", encoding="utf-8") as f:
        state = json.load(f)
    features, _, _ = package["encoding"].Encoder(state).encode(list(package["data"].records(case["file"])), with_labels=False)
    net.eval()
    with torch.no_grad():
        outputs, _ = net({k: torch.from_numpy(v) for k, v in features.items()})
    return {task: value.reshape(-1).tolist() for task, value in outputs.items()}


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(1)
    json.dump(
        {
            "results": [run(case) for case in request.get("cases", [])],
            "encoded": [encode(case) for case in request.get("encode", [])],
            "predicted": [predict(case) for case in request.get("predict", [])],
            "gradnorms": [gradnorms(case) for case in request.get("gradnorms", [])],
            "balancers": [balancers(case) for case in request.get("balancers", [])],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
