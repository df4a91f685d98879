import type { NestedCtor } from "../validation/options.js";
import type { CheckedSpec } from "../validation/checker.js";
import type { FeatureSym, Sym, TaskSym } from "../validation/symbols.js";
import type * as IR from "./types.js";
import { IR_VERSION } from "./types.js";

/**
 * Checked model → IR. Only called on a spec without errors, so every option
 * is present (defaults were filled in by the checker) and every width known.
 */
export function lower(spec: CheckedSpec): IR.ModelIR {
  const symbols = [...spec.symbols.values()];
  // A feature group lowers to its members, which follow it in the symbol table.
  const features = symbols.filter((s): s is FeatureSym => s.kind === "feature" && !s.members);
  const tasks = spec.order.filter((s): s is TaskSym => s.kind === "task");
  const model = spec.model!;
  return {
    irVersion: IR_VERSION,
    model: {
      name: model.name.text,
      ...(model.description && { description: model.description.value }),
      ...(model.doc && { doc: model.doc }),
    },
    data: lowerData(spec.data),
    features: features.map((f) => lowerFeature(f)),
    tables: features.filter((f) => f.ctor === "categorical").map(lowerTable),
    nodes: spec.order.flatMap((s) => lowerNode(s)),
    tasks: tasks.map((t) => lowerTask(t, tasks)),
    train: lowerTrain(spec.train),
  };
}

function doc(sym: Sym): { doc?: string } {
  return sym.decl.doc ? { doc: sym.decl.doc } : {};
}

function lowerData(data: Record<string, unknown>): IR.DataIR {
  const format = data["format"] as NestedCtor;
  const o = format.options;
  const columns = data["columns"] as { text: string }[] | undefined;
  return {
    format: format.ctor as IR.DataIR["format"],
    header: (o["header"] as boolean | undefined) ?? true,
    delimiter: (o["delimiter"] as string | undefined) ?? ",",
    trim: (o["trim"] as boolean | undefined) ?? false,
    missing: (o["missing"] as string[] | undefined) ?? [],
    columns: format.ctor === "csv" && columns ? columns.map((c) => c.text) : null,
  };
}

function lowerFeature(f: FeatureSym): IR.FeatureIR {
  const o = f.options;
  const base = { name: f.name, column: f.column, width: f.width!, ...doc(f) };
  switch (f.ctor!) {
    case "categorical":
      return {
        ...base,
        kind: "categorical",
        encoding: o["vocab"] ? { type: "vocab", vocab: o["vocab"] as string[] } : { type: "hash", buckets: o["buckets"] as number },
        table: f.name,
      };
    case "numeric":
      return {
        ...base,
        kind: "numeric",
        transform: o["transform"] as IR.NumericFeatureIR["transform"],
        normalize: o["normalize"] as IR.NumericFeatureIR["normalize"],
        fill: o["fill"] as IR.NumericFeatureIR["fill"],
      };
    case "sequence": {
      const of = f.deps[0]!.name;
      return { ...base, kind: "sequence", of, table: of, maxLen: o["max_len"] as number, pool: o["pool"] as IR.SequenceFeatureIR["pool"], sep: o["sep"] as string };
    }
  }
}

function lowerTable(f: FeatureSym): IR.TableIR {
  const vocab = f.options["vocab"] as string[] | undefined;
  return { name: f.name, rows: vocab ? vocab.length + 1 : (f.options["buckets"] as number), dim: f.options["dim"] as number };
}

function lowerNode(sym: Sym): IR.NodeIR[] {
  switch (sym.kind) {
    case "input":
      return [{ op: "concat", name: sym.name, role: "input", inputs: sym.inputs.map((s) => s.name), width: sym.width!, ...doc(sym) }];
    case "expert":
    case "tower": {
      const o = sym.options;
      return [
        {
          op: "mlp",
          name: sym.name,
          role: sym.kind,
          count: sym.kind === "expert" ? sym.count : 1,
          input: sym.input!.name,
          units: sym.units!,
          activation: o["activation"] as IR.Activation,
          dropout: o["dropout"] as number,
          batchNorm: o["batchnorm"] as boolean,
          width: sym.width!,
          ...doc(sym),
        },
      ];
    }
    case "gate":
      return [
        {
          op: "gate",
          name: sym.name,
          role: "gate",
          input: sym.input!.name,
          experts: sym.experts.map((e) => e.name),
          numExperts: sym.experts.reduce((n, e) => n + e.count, 0),
          width: sym.width!,
          ...doc(sym),
        },
      ];
    default:
      return [];
  }
}

function lowerTask(task: TaskSym, all: TaskSym[]): IR.TaskIR {
  const { label, where, weight } = task.decl;
  // `where click` with no values of its own reads click as the task labelling it does.
  const whereTask = where && all.find((t) => t.type === "binary" && t.decl.label?.column.text === where.column.text);
  return {
    name: task.name,
    type: task.type!,
    head: task.head ? { op: "dense", input: task.head.name } : { op: "product", factors: task.factors.map((f) => f.name) },
    label: label ? { column: label.column.text, positives: task.positives ?? null } : null,
    where: where ? { column: where.column.text, positives: task.wherePositives ?? whereTask?.positives ?? null } : null,
    weight: weight?.value ?? 1,
    loss: lowerLoss(task),
    ...doc(task),
  };
}

function lowerLoss(task: TaskSym): IR.LossIR {
  if (task.type === "binary") return { type: "bce" };
  if (task.loss?.ctor === "huber") return { type: "huber", delta: task.loss.options["delta"] as number };
  return { type: "mse" };
}

function lowerTrain(train: Record<string, unknown>): IR.TrainIR {
  const optimizer = train["optimizer"] as NestedCtor;
  const o = optimizer.options as Record<string, number>;
  const optimizers: Record<string, () => IR.OptimizerIR> = {
    adam: () => ({ type: "adam", lr: o["lr"]!, beta1: o["beta1"]!, beta2: o["beta2"]!, epsilon: o["epsilon"]! }),
    adagrad: () => ({ type: "adagrad", lr: o["lr"]!, initialAccumulator: o["initial_accumulator"]! }),
    sgd: () => ({ type: "sgd", lr: o["lr"]!, momentum: o["momentum"]! }),
    rmsprop: () => ({ type: "rmsprop", lr: o["lr"]!, decay: o["decay"]!, momentum: o["momentum"]!, epsilon: o["epsilon"]! }),
  };
  return {
    optimizer: optimizers[optimizer.ctor]!(),
    batch: train["batch"] as number,
    epochs: train["epochs"] as number,
    weighting: train["weighting"] as IR.TrainIR["weighting"],
    seed: train["seed"] as number,
    l2: train["l2"] as number,
  };
}
