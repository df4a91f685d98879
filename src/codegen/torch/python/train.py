"""Trains the spec's model with PyTorch's DistributedDataParallel and saves an mtl model folder.

A fresh run starts as `mtl train` does: it refuses a task whose sample
weights are 0 on every row, and starts each task head's bias at the task's
prior from the first rows (priors.py); a resumed run keeps its trained heads.

One machine, N processes (this script starts them itself; gloo on CPU):
    python3 train.py --data train.csv --out model --nproc 4
Several machines or GPUs, under torchrun (which sets RANK, WORLD_SIZE, ...):
    torchrun --nnodes 2 --nproc_per_node 8 --rdzv_backend c10d \\
        --rdzv_endpoint HOST:29400 train.py --data train.csv --out model

Each process reads its own share of the rows (row i goes to rank i mod N)
and takes --batch of them per step, so a step trains on N x --batch rows.
On CPU the embedding tables get sparse gradients and a lazy optimiser
(SparseAdam for adam), as `mtl train` does; NCCL has no sparse all-reduce,
so on GPUs (or with --dense) they are dense. Rank 0 writes a checkpoint
atomically to OUT/torch-checkpoint/ every --checkpoint-every steps (or
minute); a job started again with the same options resumes from it. At the
end rank 0 writes OUT as an mtl model folder for `mtl predict`, `mtl eval`
and loadScorer.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

from spec import TRAIN

CHECKPOINT = "torch-checkpoint"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="training data: .csv/.tsv/.jsonl (optionally .gz), .parquet with pyarrow")
    parser.add_argument("--out", required=True, help="the mtl model folder to write (its checkpoint lives in OUT/torch-checkpoint)")
    parser.add_argument("--nproc", type=int, default=1, help="processes to start on this machine when not under torchrun")
    parser.add_argument("--epochs", type=int, default=TRAIN["epochs"])
    parser.add_argument("--batch", type=int, default=TRAIN["batch"], help="rows per step in each process")
    parser.add_argument("--seed", type=int, default=TRAIN["seed"])
    parser.add_argument("--max-steps", type=int, help="stop after this many steps")
    parser.add_argument("--shuffle-buffer", type=int, default=10_000, help="rows in each process's seeded shuffle buffer (1 keeps file order)")
    parser.add_argument("--checkpoint-every", type=int, default=0, help="steps between checkpoints (0: every minute)")
    parser.add_argument("--dense", action="store_true", help="dense embedding gradients and the spec's optimiser for every weight")
    parser.add_argument("--threads", type=int, help="intra-op threads per process (default: the cores divided among the processes)")
    parser.add_argument("--quiet", action="store_true", help="print only errors and the final line")
    args = parser.parse_args(argv)
    for name in ("nproc", "epochs", "batch", "shuffle_buffer"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def quiet_openmp(environ):
    """Idle OpenMP threads sleep rather than spin (a setting of the user's wins).

    On CPU, torch's matrix products run on its BLAS's own threads (OpenBLAS's
    pthreads on Debian) while its OpenMP threads, spinning between the other
    kernels, take the same cores: a recsys MMoE on 2 cores trained at 1,418
    rows/s with the default and 8,635 with this. OpenMP reads it when torch
    loads, so it is set before the first import of torch, and the ranks the
    launcher starts inherit it."""
    environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main(argv):
    args = parse_args(argv)
    quiet_openmp(os.environ)
    if "RANK" not in os.environ and args.nproc > 1:
        return launch(args.nproc, argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return train(args)
    except Failure as error:
        if not error.printed:
            _print_failure(error)
        return 1
    except KeyboardInterrupt:
        if int(os.environ.get("RANK", 0)) == 0:
            print(f"train.py: interrupted; the last checkpoint is kept in {os.path.join(args.out, CHECKPOINT)}: run the same command to resume", file=sys.stderr)
        return 130


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


class Failure(Exception):
    """An expected failure, printed as one line (`printed`: already)."""

    def __init__(self, message, printed=False):
        super().__init__(message)
        self.printed = printed


def _print_failure(error):
    print(f"train.py: error: {error}", file=sys.stderr, flush=True)


# How long the other ranks may take to exit once rank 0 has finished the run.
TEARDOWN_GRACE_SECONDS = 30


def launch(nproc, argv):
    """Starts `nproc` ranks of this script on this machine, rendezvous over loopback, as torchrun would."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    children = []
    for rank in range(nproc):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(nproc), LOCAL_WORLD_SIZE=str(nproc))
        children.append(subprocess.Popen([sys.executable, os.path.abspath(__file__), *argv], env=env, preexec_fn=_die_with_parent))

    def forward(signum, _frame):
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    # Ctrl-C reaches the ranks from the terminal; a SIGTERM sent to the launcher alone is passed on.
    signal.signal(signal.SIGINT, lambda _signum, _frame: None)
    signal.signal(signal.SIGTERM, forward)
    finished = None
    while True:
        codes = [child.poll() for child in children]
        failed = [code for code in codes if code not in (None, 0)]
        if failed:
            # One rank failing leaves the others waiting in an all-reduce forever.
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                child.wait()
            return failed[0]
        if all(code == 0 for code in codes):
            return 0
        if codes[0] == 0:
            # Rank 0 exits 0 only after the final barrier, which every rank reached, and the model save: the run is
            # done. A rank still alive long after is stuck tearing gloo down (seen under heavy load), not working.
            finished = finished or time.monotonic()
            if time.monotonic() - finished > TEARDOWN_GRACE_SECONDS:
                for rank, child in enumerate(children):
                    if child.poll() is None:
                        print(f"train.py: rank {rank} was still shutting down {TEARDOWN_GRACE_SECONDS} s after the run finished; stopped it", file=sys.stderr, flush=True)
                        child.kill()
                        child.wait()
                return 0
        time.sleep(0.05)


def _die_with_parent():
    """A rank left running by a killed launcher would wait in an all-reduce forever: Linux ends it with the launcher."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def batches(stream, size, count):
    """`count` lists of at most `size` records each."""
    batch = []
    for record in stream:
        batch.append(record)
        if len(batch) == size:
            yield batch
            count -= 1
            batch = []
            if count == 0:
                return
    if batch and count > 0:
        yield batch


def steps_per_epoch(rows, batch, world):
    """Full steps, and a last partial one when every rank has a row for it (DDP needs every rank in every step)."""
    full, rest = divmod(rows, batch * world)
    return full + (1 if rest >= world else 0)


def make_optimizers(objective, sparse):
    """The spec's optimiser; with sparse tables, its sparse form (lazy Adam: SparseAdam) for the embeddings."""
    import torch

    config = TRAIN["optimizer"]
    kind = config["type"]
    tables = [m.weight for m in objective.modules() if isinstance(m, torch.nn.Embedding)] if sparse else []
    table_ids = {id(p) for p in tables}
    rest = [p for p in objective.parameters() if id(p) not in table_ids]
    if kind == "adam":
        betas = (config["beta1"], config["beta2"])
        optimizers = [torch.optim.Adam(rest, lr=config["lr"], betas=betas, eps=config["epsilon"])]
        sparse_optimizer = lambda: torch.optim.SparseAdam(tables, lr=config["lr"], betas=betas, eps=config["epsilon"])
    elif kind == "adagrad":
        optimizers = [torch.optim.Adagrad(rest, lr=config["lr"], initial_accumulator_value=config["initialAccumulator"])]
        sparse_optimizer = lambda: torch.optim.Adagrad(tables, lr=config["lr"], initial_accumulator_value=config["initialAccumulator"])
    elif kind == "sgd":
        optimizers = [torch.optim.SGD(rest, lr=config["lr"], momentum=config["momentum"])]
        sparse_optimizer = lambda: torch.optim.SGD(tables, lr=config["lr"])
    else:
        optimizers = [torch.optim.RMSprop(rest, lr=config["lr"], alpha=config["decay"], momentum=config["momentum"], eps=config["epsilon"])]
        sparse_optimizer = None
    if tables:
        optimizers.append(sparse_optimizer())
    return optimizers


def sparse_form():
    """Whether the spec's optimiser has a sparse form (momentum SGD and RMSprop have none)."""
    config = TRAIN["optimizer"]
    return config["type"] in ("adam", "adagrad") or (config["type"] == "sgd" and config["momentum"] == 0)


def train(args):
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    import balance
    import data
    import encoding
    import model_dir
    import priors
    from layers import initialise
    from model import INITIALISERS, TFJS_WEIGHTS, Model
    from objective import TRAINED, Objective
    from spec import GRADNORM_LAYERS

    rank = int(os.environ.get("RANK", 0))
    world = int(os.environ.get("WORLD_SIZE", 1))
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world))
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // local_world))
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    sparse = not args.dense and not cuda and sparse_form()
    say = (lambda *parts: print(*parts, file=sys.stderr, flush=True)) if rank == 0 and not args.quiet else (lambda *parts: None)

    if not os.path.isfile(args.data):
        raise Failure(f"{args.data}: no such file")
    checkpoint_path = os.path.join(args.out, CHECKPOINT, "state.pt")
    run = {"world": world, "batch": args.batch, "seed": args.seed, "shuffleBuffer": args.shuffle_buffer, "sparse": sparse, "data": os.path.abspath(args.data)}
    checkpoint = torch.load(checkpoint_path, map_location="cpu") if os.path.exists(checkpoint_path) else None
    if checkpoint is not None and checkpoint["run"] != run:
        changed = ", ".join(f"{k} {checkpoint['run'][k]} -> {run[k]}" for k in run if checkpoint["run"].get(k) != run[k])
        raise Failure(f"{checkpoint_path} belongs to a run with other options ({changed}): give the same options to resume it, or delete {os.path.dirname(checkpoint_path)} to start afresh")

    trained = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trained")
    try:
        if checkpoint is not None:
            state = checkpoint["encoding"]
        elif os.path.isdir(trained):
            with open(os.path.join(trained, "encoding.json"), encoding="utf-8") as f:
                state = json.load(f)
        else:
            state = encoding.fit(data.records(args.data))
        encoder = encoding.Encoder(state)
    except (data.DataError, encoding.RowError, OSError) as error:
        raise Failure(_located(args.data, error)) from None
    if state["rows"] < world:
        raise Failure(f"{args.data} has {state['rows']} rows, fewer than the {world} processes")

    # A resumed run checked its rows when it started, and its checkpoint holds the trained heads.
    head_priors = _starting_priors(args.data, encoder, world) if checkpoint is None else None
    net = Model(sparse=sparse)
    if os.path.isdir(trained) and checkpoint is None:
        model_dir.load_tfjs_weights(net, trained)
        say(f"starting from the trained model in {trained} (its weights and statistics)")
    else:
        initialise(net, INITIALISERS)
        if head_priors is not None:
            priors.initialise_heads(net, head_priors, TFJS_WEIGHTS)
    objective = Objective(net).to(device)
    optimizers = make_optimizers(objective, sparse)
    balancer = balance.create(TRAIN["weighting"], [t["name"] for t in TRAINED])
    gradnorm_w = balance.gradnorm_parameters(net, GRADNORM_LAYERS, TFJS_WEIGHTS)
    step, epoch, skip = 0, 0, 0
    if checkpoint is not None:
        objective.load_state_dict(checkpoint["objective"])
        for optimizer, saved in zip(optimizers, checkpoint["optimizers"]):
            optimizer.load_state_dict(saved)
        if balancer is not None:
            balancer.load_state_dict(checkpoint["balancer"])
        step, epoch, skip = checkpoint["step"], checkpoint["epoch"], checkpoint["batchInEpoch"]
        say(f"resuming from {checkpoint_path}: step {step}, epoch {epoch + 1}")
    wrapped = DistributedDataParallel(objective, device_ids=[local_rank] if cuda else None) if world > 1 else objective

    per_epoch = steps_per_epoch(state["rows"], args.batch, world)
    total = per_epoch * args.epochs if args.max_steps is None else min(args.max_steps, per_epoch * args.epochs)
    tables = "sparse gradients, " + ("SparseAdam (lazy Adam)" if TRAIN["optimizer"]["type"] == "adam" else TRAIN["optimizer"]["type"]) if sparse else "dense gradients"
    say(f"torch {torch.__version__} on {device.type}, {world} process{'es' if world > 1 else ''} ({'nccl' if cuda else 'gloo'} when more than one); embeddings: {tables}")
    say(f"{state['rows']} rows, {per_epoch} steps per epoch of {world} x {args.batch} rows")

    def save_checkpoint(epoch, batch_in_epoch):
        os.makedirs(os.path.dirname(checkpoint_path), exist_ok=True)
        temp = f"{checkpoint_path}.{os.getpid()}.tmp"
        torch.save(
            {
                "run": run,
                "step": step,
                "epoch": epoch,
                "batchInEpoch": batch_in_epoch,
                "encoding": state,
                "objective": objective.state_dict(),
                "optimizers": [o.state_dict() for o in optimizers],
                "balancer": balancer.state_dict() if balancer is not None else None,
            },
            temp,
        )
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temp, checkpoint_path)
        model_dir.sync_folder(os.path.dirname(checkpoint_path))

    started, last_report, last_checkpoint = time.time(), time.time(), time.time()
    rows_done, first_step = 0, step
    sums = {t["name"]: 0.0 for t in TRAINED}
    counted = 0
    wrapped.train()
    try:
        while epoch < args.epochs and step < total:
            stream = data.shuffled(data.shard(data.records(args.data), rank, world), args.shuffle_buffer, args.seed * 1_000_003 + epoch * 7919 + rank)
            sums = {name: 0.0 for name in sums}
            counted = 0
            for index, records in enumerate(batches(stream, args.batch, per_epoch)):
                if index < skip:
                    continue
                if step >= total:
                    break
                # Dropout masks depend on the seed, step and rank only, so a resumed run draws the ones it would have.
                torch.manual_seed(args.seed * 1_000_003 + step * world + rank)
                features, labels, masks = encoder.encode(records)
                features = {k: torch.from_numpy(v).to(device) for k, v in features.items()}
                labels = {k: torch.from_numpy(v).to(device) for k, v in labels.items()}
                masks = {k: torch.from_numpy(v).to(device) for k, v in masks.items()}
                for optimizer in optimizers:
                    optimizer.zero_grad(set_to_none=True)
                weights = balancer.weights() if balancer is not None else None
                loss, losses = wrapped(features, labels, masks, weights)
                if not torch.isfinite(loss):
                    raise Failure(f"the loss is {loss.item()} at step {step + 1}: training diverged; lower the learning rate (the last checkpoint is kept)")
                # GradNorm's norms at the weights this loss saw, before the backward frees the graph.
                norms = balance.task_grad_norms(losses, gradnorm_w, world) if gradnorm_w else None
                loss.backward()
                for optimizer in optimizers:
                    optimizer.step()
                step += 1
                rows_done += len(records) * world
                for name, value in losses.items():
                    sums[name] += value.item()
                counted += 1
                if balancer is not None:
                    step_losses = {name: value.item() for name, value in losses.items()}
                    if world > 1:
                        # Every rank updates the weights from the same numbers (the norms are the whole batch's already), so they stay equal.
                        step_losses = _averaged(step_losses, world)
                    balancer.stepped(step_losses, norms)
                now = time.time()
                if now - last_report >= 5:
                    last_report = now
                    rate = rows_done / (now - started)
                    say(f"step {step}/{total}  epoch {epoch + 1}/{args.epochs}  loss {loss.item():.4f}  {rate:,.0f} rows/s")
                due = step % args.checkpoint_every == 0 if args.checkpoint_every > 0 else now - last_checkpoint >= 60
                if rank == 0 and due:
                    save_checkpoint(epoch, index + 1)
                    last_checkpoint = now
            else:
                epoch += 1
                skip = 0
                if balancer is not None:
                    # Before the epoch's checkpoint, which then holds the next epoch's weights.
                    balancer.epoch_ended(epoch)
                    say(f"epoch {epoch}: task weights " + ", ".join(f"{t} {w:.4f}" for t, w in balancer.history[-1]["weights"].items()))
                if rank == 0 and epoch < args.epochs and step < total:
                    save_checkpoint(epoch, 0)
    except (data.DataError, encoding.RowError) as error:
        # Rows are checked while fitting; a run that starts from a checkpoint or trained/ meets them here.
        raise Failure(_located(args.data, error)) from None
    elapsed = time.time() - started
    if rank == 0:
        metrics = {name: {"on": "training rows of rank 0, last epoch (PyTorch)", "loss": sums[name] / max(counted, 1)} for name in sums}
        if balancer is not None:
            # As mtl's trainer writes it (src/runtime/balance/balancer.ts, balancerJson).
            metrics["task weights"] = {"weighting": balancer.type, "epochs": balancer.history}
        model_dir.save_model_dir(args.out, objective.model.cpu(), state, metrics)
        if os.path.exists(checkpoint_path):
            os.unlink(checkpoint_path)
            os.rmdir(os.path.dirname(checkpoint_path))
        rate = rows_done / elapsed if elapsed > 0 else 0.0
        print(f"saved the model to {args.out} after {step} steps ({step - first_step} in this run, {rate:,.0f} rows/s over {world} process{'es' if world > 1 else ''})", file=sys.stderr, flush=True)
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return 0


def _starting_priors(path, encoder, world):
    """The heads' priors (priors.py), after the sample-weight check, the same on every rank.

    Rank 0 reads the rows (the first ones, or every one when a task has
    sample weights) and sends the outcome, priors or error, to the others:
    one reading instead of N, and every rank starts from the same biases or
    stops with the same error instead of waiting for rank 0 in a collective.
    """
    import torch.distributed as dist

    import data
    import encoding
    import priors

    outcome = None
    if int(os.environ.get("RANK", 0)) == 0:
        try:
            outcome = {"priors": priors.scan(encoder, data.records(path))}
        except priors.ZeroWeights as error:
            p = error.problem
            outcome = {"error": f"{path}: {p['message']} (field '{p['column']}')\n  hint: {p['hint']}"}
        except (data.DataError, encoding.RowError, OSError) as error:
            outcome = {"error": _located(path, error)}
    if world > 1:
        box = [outcome]
        dist.broadcast_object_list(box, src=0)
        outcome = box[0]
    if "error" in outcome:
        failure = Failure(outcome["error"], printed=True)
        if int(os.environ.get("RANK", 0)) == 0:
            _print_failure(failure)
        if world > 1:
            # Every rank has the error: rank 0 says it once, and before any rank ends, since the launcher (or torchrun) then stops the rest.
            dist.barrier()
        raise failure
    return outcome["priors"]


def _averaged(values, world):
    """The mean of `values` (a dict of floats) over the processes."""
    import torch
    import torch.distributed as dist

    names = sorted(values)
    tensor = torch.tensor([values[n] for n in names], dtype=torch.float64)
    dist.all_reduce(tensor)
    return {n: float(v) / world for n, v in zip(names, tensor)}


def _located(path, error):
    if isinstance(error, OSError):
        return f"{path}: {error.strerror or error}"
    text = str(error)
    return text if text.startswith(path) else f"{path}:{text[5:]}" if text.startswith("line ") else f"{path}: {text}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
