import cliProgress from "cli-progress";
import type { TaskEvaluation } from "../evaluate/evaluate.js";
import { metricsTable } from "../evaluate/report.js";
import type { TrainEvents } from "../train/trainer.js";

/** Headings of the trainer's metrics by what they were measured on (TrainEvents.epochEnd's `on`). */
const METRICS_HEADINGS: Readonly<Record<string, string>> = {
  running: "metrics on the training data, from the epoch's own steps (each batch scored as it was trained on, before its update):",
};

/**
 * Training progress on standard error: a bar with rows per second and the
 * running loss on a terminal, one summary line per epoch otherwise (CI logs).
 */
export function progressReporter(options: { quiet: boolean }): TrainEvents & { stop(): void } {
  const out = process.stderr;
  const tty = Boolean(out.isTTY) && !options.quiet;
  let bar: cliProgress.SingleBar | undefined;
  let started = 0;
  let rows = 0;
  // Rows read again, untrained, to reach a resumed checkpoint's place: on the bar, not in the speed.
  let replayed = 0;
  let running = NaN;
  let epochLabel = "";
  const log = (line: string) => {
    if (!options.quiet) out.write(line + "\n");
  };
  let lastStep = 0;
  // Training speed only: the epoch's evaluation comes after the last step.
  const rate = () => Math.round(rows / Math.max(((lastStep || Date.now()) - started) / 1000, 1e-3));
  let reported = 0;
  // Under gradnorm or dwa: the epoch's task weights, printed with its summary.
  let taskWeights = "";
  return {
    skipped(error) {
      if (++reported <= 20) out.write(`${error.render().replace(": error: ", ": warning: skipped bad row: ")}\n`);
      else if (reported === 21) out.write("(further skipped rows are counted, not shown)\n");
    },
    warning(message) {
      out.write(message + "\n");
    },
    fitted(total, skipped) {
      log(`read ${total.toLocaleString("en-US")} training rows${skipped ? `, skipped ${skipped} bad row${skipped === 1 ? "" : "s"}` : ""}`);
    },
    resumed(from) {
      const where = from.epochComplete ? `end of epoch ${from.epoch}` : `epoch ${from.epoch}, batch ${from.batch}`;
      log(`resumed from step ${from.steps} (${where}); ${from.total.toLocaleString("en-US")} training rows`);
    },
    stepEngine(engine) {
      log(`train step: ${engine}`);
    },
    epochStart(epoch, epochs, total) {
      started = Date.now();
      lastStep = 0;
      rows = 0;
      replayed = 0;
      running = NaN;
      epochLabel = `epoch ${epoch}/${epochs}`;
      if (tty) {
        bar = new cliProgress.SingleBar(
          { format: `${epochLabel} {bar} {percentage}% | {value}/{total} rows | {speed} rows/s | loss {loss}`, stream: out, hideCursor: true, barsize: 24 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { speed: 0, loss: "-" });
      }
    },
    replayed(n) {
      replayed += n;
      bar?.update(replayed, { speed: 0, loss: "-" });
    },
    step(n, losses) {
      rows += n;
      lastStep = Date.now();
      running = Number.isNaN(running) ? losses.total : 0.98 * running + 0.02 * losses.total;
      bar?.update(replayed + rows, { speed: rate().toLocaleString("en-US"), loss: running.toFixed(4) });
    },
    taskWeights(_epoch, weights) {
      taskWeights = Object.entries(weights).map(([task, w]) => `${task} ${w.toFixed(4)}`).join(", ");
    },
    epochEnd(_epoch, metrics: TaskEvaluation[], on) {
      bar?.stop();
      bar = undefined;
      if (rows === 0) log(`${epochLabel}: trained before the resume`);
      else {
        const skipped = replayed ? ` (after ${replayed.toLocaleString("en-US")} rows read again to resume)` : "";
        log(`${epochLabel}: ${rows.toLocaleString("en-US")} rows${skipped}, ${rate().toLocaleString("en-US")} rows/s, loss ${running.toFixed(4)}`);
      }
      if (taskWeights !== "") log(`task weights: ${taskWeights}`);
      taskWeights = "";
      log(`${METRICS_HEADINGS[on] ?? `metrics on the ${on} data:`}\n${metricsTable(metrics)}\n`);
    },
    stop() {
      bar?.stop();
    },
  };
}
