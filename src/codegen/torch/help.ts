/** When and how to train with PyTorch instead of `mtl train`: shown by `mtl compile --help` and `mtl train --help`. */
export const TORCH_HELP = `Training with PyTorch (--target torch, or mtl train --engine torch):
  When: mtl train runs one Node process on one core, which suits data that trains in minutes to hours.
  Switch when the data outgrows that (hundreds of millions of rows), or to use several cores, machines
  or GPUs. The spec stays the one source, and the model folder PyTorch saves serves from Node as before.
  One machine, N processes (gloo over loopback):
    mtl train SPEC --data FILE --out MODEL --engine torch --nproc N
    or: mtl compile SPEC --target torch -o PKG && python3 PKG/train.py --data FILE --out MODEL --nproc N
  Several machines: run on each, with one HOST:PORT all of them reach and --out on a shared file system:
    torchrun --nnodes M --nproc_per_node N --rdzv_backend c10d --rdzv_endpoint HOST:29400 \\
      PKG/train.py --data FILE --out MODEL
  GPUs: the same commands with N = GPUs per machine; each process takes the GPU of its local rank and
    NCCL all-reduces (embedding gradients then dense: NCCL has no sparse all-reduce).
  Each process reads its share of the rows and takes --batch rows per step, so a step trains on
  N x --batch rows. Rank 0 checkpoints to MODEL/torch-checkpoint; the same command again resumes.
  Needs python3 with torch (Debian: apt-get install python3-torch; elsewhere: pip install torch).
  Debian's torchrun (torch 1.13, Python 3.11) crashes before starting workers: use --nproc there.`;
