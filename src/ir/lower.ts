import type { DataOptions, DebiasCall, FeatureCall, FeatureOptions, TrainOptions } from "../validation/option-types.js";
import type { CheckedSpec } from "../validation/checker.js";
import type { FeatureSym, Sym, TaskSym } from "../validation/symbols.js";
import type * as IR from "./types.js";
import { IR_VERSION } from "./types.js";
import { withEvaluation } from "./evaluation.js";
import { withNumericBlocks } from "./blocks.js";
import { transferOrder } from "../validation/transfer.js";
import { ownerOf } from "../validation/shared-tables.js";

/**
 * Checked model → IR. Only called on a spec without errors, so every option
 * is present (defaults were filled in by the checker) and every width known.
 */
export function lower(spec: CheckedSpec): IR.ModelIR {
  const symbols = [...spec.symbols.values()];
  // A feature group lowers to its members, which follow it in the symbol table.
  const features = symbols.filter((s): s is FeatureSym => s.kind === "feature" && !s.members);
  // A task AITM transfers into follows the task it transfers from.
  const tasks = transferOrder(
    spec.order.filter((s): s is TaskSym => s.kind === "task"),
    (t) => t.after,
  );
  const model = spec.model!;
  const lowered = features.map((f) => lowerFeature(f, f.call!));
  const loweredTasks = withEvaluation(tasks.map((t) => lowerTask(t, spec.train.sample_weight?.text)));
  const { numericBlocks, nodes } = withNumericBlocks(lowered, spec.order.flatMap((s) => lowerNode(s)), loweredTasks);
  return {
    irVersion: IR_VERSION,
    model: {
      name: model.name.text,
      ...(model.description && { description: model.description.value }),
      ...(model.doc && { doc: model.doc }),
    },
    data: lowerData(spec.data),
    features: lowered,
    numericBlocks,
    // A categorical feature that `shares` another's table adds none of its own.
    tables: features.flatMap((f) => (f.call?.ctor === "categorical" && ownerOf(f) === f ? [lowerTable(f, f.call.options)] : [])),
    nodes,
    tasks: loweredTasks,
    train: lowerTrain(spec.train),
  };
}

function doc(sym: Sym): { doc?: string } {
  return sym.decl.doc ? { doc: sym.decl.doc } : {};
}

function lowerData(data: DataOptions): IR.DataIR {
  const { format, columns } = data;
  // Settings a format does not have take the values that mean "not applicable".
  const settings: Pick<IR.DataIR, "header" | "delimiter" | "trim" | "missing"> = { header: true, delimiter: ",", trim: false, missing: [], ...format.options };
  return {
    format: format.ctor,
    header: settings.header,
    delimiter: settings.delimiter,
    trim: settings.trim,
    missing: settings.missing,
    columns: format.ctor === "csv" && columns ? columns.map((c) => c.text) : null,
  };
}

function lowerFeature(f: FeatureSym, call: FeatureCall): IR.FeatureIR {
  const base = { name: f.name, column: f.column, ...doc(f) };
  switch (call.ctor) {
    case "categorical": {
      const o = call.options;
      return {
        ...base,
        kind: "categorical",
        encoding: o.vocab ? { type: "vocab", vocab: o.vocab } : { type: "hash", buckets: o.buckets },
        table: ownerOf(f).name,
      };
    }
    case "numeric": {
      const { transform, normalize, fill } = call.options;
      return { ...base, kind: "numeric", transform, normalize, fill };
    }
    case "sequence": {
      const of = f.deps[0]! as FeatureSym;
      const { max_len, pool, sep } = call.options;
      return { ...base, kind: "sequence", of: of.name, table: ownerOf(of).name, maxLen: max_len, pool, sep };
    }
  }
}

function lowerTable(f: FeatureSym, o: FeatureOptions<"categorical">): IR.TableIR {
  return { name: f.name, rows: o.vocab ? o.vocab.length + 1 : o.buckets, dim: o.dim };
}

function lowerNode(sym: Sym): IR.NodeIR[] {
  switch (sym.kind) {
    case "input":
      return [{ op: "concat", name: sym.name, role: "input", inputs: sym.inputs.map((s) => s.name), ...doc(sym) }];
    case "expert":
    case "tower": {
      const o = sym.options!;
      return [
        {
          op: "mlp",
          name: sym.name,
          role: sym.kind,
          count: sym.kind === "expert" ? sym.count : 1,
          input: sym.input!.name,
          units: sym.units!,
          activation: o.activation,
          dropout: o.dropout,
          batchNorm: o.batchnorm,
          // Always written (the default included), so every back end initialises alike.
          init: o.init,
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
          init: sym.options!.init,
          ...doc(sym),
        },
      ];
    default:
      return [];
  }
}

/** `sampleWeight`: train's `sample_weight` column, which every labelled task without a clause of its own reads. */
function lowerTask(task: TaskSym, sampleWeight: string | undefined): Omit<IR.TaskIR, "evaluation"> {
  const { label, where, weight } = task.decl;
  const weightColumn = label ? (task.decl.sampleWeight?.text ?? sampleWeight) : undefined;
  // The checker resolved whose label a `where` column is; without values of its own, the mask reads it as that task does.
  const whereTask = task.whereTask;
  return {
    name: task.name,
    type: task.type!,
    head: task.head ? { op: "dense", input: task.head.name } : { op: "product", factors: task.factors.map((f) => f.name) },
    label: label ? { column: label.column.text, positives: task.positives ?? null } : null,
    where: where ? { column: where.column.text, positives: task.wherePositives ?? whereTask?.positives ?? null, task: whereTask?.name ?? null } : null,
    weight: weight?.value ?? 1,
    ...(weightColumn !== undefined && { sampleWeight: weightColumn }),
    loss: lowerLoss(task),
    ...(task.after && { transfer: { from: task.after.name, calibrate: task.decl.calibrate?.value ?? 0 } }),
    ...(task.debias && { debias: lowerDebias(task.debias) }),
    ...doc(task),
  };
}

function lowerLoss(task: TaskSym): IR.LossIR {
  if (task.type === "binary") return { type: "bce" };
  if (task.loss?.ctor === "huber") return { type: "huber", delta: task.loss.options.delta };
  return { type: "mse" };
}

function lowerDebias(d: DebiasCall): IR.DebiasIR {
  const propensity = d.args.propensity!.name.text;
  if (d.ctor === "ips") return { type: "ips", propensity, clip: d.options.clip };
  return { type: "dr", propensity, imputation: d.options.imputation.name.text, clip: d.options.clip };
}

function lowerTrain(train: TrainOptions): IR.TrainIR {
  const { optimizer, batch, epochs, weighting, seed, l2 } = train;
  return { optimizer: lowerOptimizer(optimizer), batch, epochs, weighting: lowerWeighting(weighting), seed, l2 };
}

function lowerWeighting(weighting: TrainOptions["weighting"]): IR.WeightingIR {
  switch (weighting.ctor) {
    case "fixed":
    case "uncertainty":
      return weighting.ctor;
    case "gradnorm":
      return { type: "gradnorm", alpha: weighting.options.alpha, lr: weighting.options.lr };
    case "dwa":
      return { type: "dwa", temperature: weighting.options.temperature };
  }
}

function lowerOptimizer(optimizer: TrainOptions["optimizer"]): IR.OptimizerIR {
  switch (optimizer.ctor) {
    case "adam": {
      const { lr, beta1, beta2, epsilon } = optimizer.options;
      return { type: "adam", lr, beta1, beta2, epsilon };
    }
    case "adagrad": {
      const { lr, initial_accumulator } = optimizer.options;
      return { type: "adagrad", lr, initialAccumulator: initial_accumulator };
    }
    case "sgd": {
      const { lr, momentum } = optimizer.options;
      return { type: "sgd", lr, momentum };
    }
    case "rmsprop": {
      const { lr, decay, momentum, epsilon } = optimizer.options;
      return { type: "rmsprop", lr, decay, momentum, epsilon };
    }
  }
}
