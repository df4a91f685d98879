/** Tables, figures and verdicts of the synthetic experiment. */
import { MMOE_DEFAULTS } from "../../data/synthetic/mmoe.js";
import { ARCHITECTURE_LABELS, ARCHITECTURES, describeShape, type Architecture } from "../architectures.js";
import { linePlot } from "../plot/line-plot.js";
import { gateHeatmap } from "../../inspect/report.js";
import { count, fixed, table } from "../report/markdown.js";
import type { SectionContent, Figure, Finding } from "../report/types.js";
import { errorBar, summarize, summaryCell, type Summary } from "../stats.js";
import type { SyntheticResults, SyntheticRun } from "./experiment.js";
import { SYNTHETIC_SHAPE } from "./specs.js";

/** OMoE "matches" MMoE when their mean test losses differ by less than this fraction of MMoE's. */
export const MATCH_TOLERANCE = 0.1;
/** Correlations that get a learning-curve figure (the panels of the paper's Figure 4). */
const CURVE_CORRELATIONS = [1, 0.9, 0.5];

export function syntheticReport(r: SyntheticResults, seconds: number): SectionContent {
  const correlations = [...r.size.correlations].sort((a, b) => b - a);
  const highest = correlations[0]!;
  const cell = (arch: Architecture, p: number) => summarize(select(r.runs, arch, p).map((x) => x.test.mean));
  const paired = (arch: Architecture, p: number, other: (run: SyntheticRun) => number) =>
    summarize(select(r.runs, arch, p).map((x) => x.test.mean - other(x)));
  const at = (arch: Architecture, p: number, seed: number) => r.runs.find((x) => x.arch === arch && x.correlation === p && x.seed === seed)!.test.mean;

  const lossTable = table(
    ["correlation", ...ARCHITECTURES.map((a) => ARCHITECTURE_LABELS[a])],
    correlations.map((p) => [fixed(p, 2), ...ARCHITECTURES.map((a) => summaryCell(cell(a, p), 4))]),
    ["r", "r", "r", "r"],
  );
  const dropTable = table(
    ["correlation", ...ARCHITECTURES.map((a) => ARCHITECTURE_LABELS[a])],
    correlations.filter((p) => p !== highest).map((p) => [fixed(p, 2), ...ARCHITECTURES.map((a) => summaryCell(paired(a, p, (x) => at(a, highest, x.seed)), 4))]),
    ["r", "r", "r", "r"],
  );
  const gapTable = table(
    ["correlation", "OMoE − MMoE", "seeds where MMoE is better", "Shared-Bottom − MMoE", "seeds where MMoE is better"],
    correlations.map((p) => {
      const vsOmoe = paired("omoe", p, (x) => at("mmoe", p, x.seed));
      const vsSb = paired("shared-bottom", p, (x) => at("mmoe", p, x.seed));
      const wins = (arch: Architecture) => select(r.runs, arch, p).filter((x) => at("mmoe", p, x.seed) < x.test.mean).length;
      return [fixed(p, 2), summaryCell(vsOmoe, 4), `${wins("omoe")} of ${vsOmoe.n}`, summaryCell(vsSb, 4), `${wins("shared-bottom")} of ${vsSb.n}`];
    }),
    ["r", "r", "r", "r", "r"],
  );
  const paramTable = table(
    ["model", "shape", "parameters"],
    ARCHITECTURES.map((a) => [ARCHITECTURE_LABELS[a], describeShape(a, { ...SYNTHETIC_SHAPE, bottomUnits: r.bottomUnits }), count(r.params[a])]),
    ["l", "l", "r"],
  );

  const findings = judge(correlations, cell);
  const gates = gateSection(r, correlations);
  const figures: Figure[] = [
    {
      file: "mmoe-test-loss.svg",
      alt: "Test loss against task correlation, one line per model",
      svg: linePlot({
        title: "Synthetic tasks: test loss against task correlation",
        xLabel: "task correlation p = cos(w1, w2)",
        yLabel: "test MSE (mean of the two tasks)",
        xTicks: correlations,
        series: ARCHITECTURES.map((a) => ({ name: ARCHITECTURE_LABELS[a], points: correlations.map((p) => point(p, cell(a, p))) })),
        note: `mean ± standard deviation over ${r.size.seeds.length} seed${r.size.seeds.length === 1 ? "" : "s"}; noise floor ${fixed(MMOE_DEFAULTS.noiseStd ** 2, 2)}`,
      }),
    },
    ...CURVE_CORRELATIONS.filter((p) => correlations.includes(p)).map((p) => ({
      file: `mmoe-validation-curve-corr${p.toFixed(1)}.svg`,
      alt: `Validation loss after each epoch at correlation ${p}`,
      svg: linePlot({
        title: `Validation loss during training, correlation ${p.toFixed(1)}`,
        xLabel: "epoch",
        yLabel: "validation MSE (mean of the two tasks)",
        xTicks: Array.from({ length: r.size.epochs }, (_, i) => i + 1),
        xDecimals: 0,
        series: ARCHITECTURES.map((a) => ({
          name: ARCHITECTURE_LABELS[a],
          points: Array.from({ length: r.size.epochs }, (_, e) => point(e + 1, summarize(select(r.runs, a, p).map((x) => x.validCurve[e]!)))),
        })),
        note: `mean ± standard deviation over ${r.size.seeds.length} seed${r.size.seeds.length === 1 ? "" : "s"}`,
      }),
    })),
    ...gates.figures,
  ];

  const s = r.size;
  const body = (link: string) => `Data: the generator of src/data/synthetic/mmoe.ts with its defaults, stated there and kept here:
input dimension ${MMOE_DEFAULTS.inputDim}, x ~ N(0, I), scale c = ${MMOE_DEFAULTS.scale}, m = ${MMOE_DEFAULTS.sinusoids} sinusoids with
alpha_j, beta_j ~ N(0, ${MMOE_DEFAULTS.alphaStd}²) drawn once per seed and shared by both tasks, label noise N(0, ${MMOE_DEFAULTS.noiseStd}²)
(so no model can get below a test MSE of ${fixed(MMOE_DEFAULTS.noiseStd ** 2, 2)}). For each seed and correlation p one data set of
${count(s.trainRows)} training, ${count(s.validRows)} validation and ${count(s.testRows)} test rows; the seed fixes u1, u2, the sinusoids,
the inputs and the noise, so the data sets of one seed differ in p alone, and the three models of a seed are
trained on the same rows. Each model is trained with that seed for ${s.epochs} epoch${s.epochs === 1 ? "" : "s"} (Adam, learning rate ${s.lr},
batch ${s.batch}, ${count(Math.ceil(s.trainRows / s.batch) * s.epochs)} steps), no early stopping; the test loss is the MSE on the test rows after
the last epoch, averaged over the two tasks. Seeds: ${s.seeds.join(", ")}. Correlations: ${correlations.join(", ")}.

Models, as in the paper (${SYNTHETIC_SHAPE.experts} experts of one ${SYNTHETIC_SHAPE.expertUnits}-unit ReLU layer, towers of one ${SYNTHETIC_SHAPE.towerUnits}-unit layer).
The paper gives Shared-Bottom 113 hidden units so that it has about as many parameters as the other two; counted
with biases and gates as the built models have them, ${r.bottomUnits} units match MMoE, so this experiment uses ${r.bottomUnits} (the
counts below come from \`model.countParams()\` of the built models):

${paramTable}

Test loss (MSE, mean of the two tasks), mean ± standard deviation over seeds (min – max):

${lossTable}

The spread over seeds is mostly the difficulty of each seed's problem (its sinusoids); the paired tables below
compare the models on the same data.
${convergenceNote(r, Math.min(...correlations.flatMap((p) => ARCHITECTURES.map((a) => cell(a, p).mean))))}
![${figures[0]!.alt}](${link}/${figures[0]!.file})

How much each model loses as the tasks diverge: test loss at p minus test loss at p = ${fixed(highest, 2)}, same seed (paired):

${dropTable}

MMoE against the others, paired by seed (positive: MMoE has the lower loss):

${gapTable}

Validation loss after each epoch (the curves of the paper's Figure 4, per epoch instead of per step):

${figures.slice(1, figures.length - gates.figures.length).map((f) => `![${f.alt}](${link}/${f.file})`).join("\n")}
${gates.body(link)}`;
  return { body, figures, findings, seconds, specs: ARCHITECTURES.map((a) => ({ file: `mmoe/${a}.mtl`, text: r.specs[a] })) };
}

/** The paper's claims, judged on the mean test losses; `ps` runs from the highest correlation to the lowest. */
function judge(ps: readonly number[], c: (a: Architecture, p: number) => Summary): Finding[] {
  const highest = ps[0]!;
  const lowest = ps.at(-1)!;
  const mean = (a: Architecture, p: number) => c(a, p).mean;
  const monotone = ARCHITECTURES.filter((a) => ps.every((p, i) => i === 0 || mean(a, p) >= mean(a, ps[i - 1]!)));
  const drops = Object.fromEntries(ARCHITECTURES.map((a) => [a, mean(a, lowest) - mean(a, highest)])) as Record<Architecture, number>;
  const leastDrop = ARCHITECTURES.reduce((best, a) => (drops[a] < drops[best] ? a : best));
  const gapHigh = mean("omoe", highest) - mean("mmoe", highest);
  const gapLow = mean("omoe", lowest) - mean("mmoe", lowest);
  const matches = Math.abs(gapHigh) <= MATCH_TOLERANCE * mean("mmoe", highest);
  const fallsBehind = gapLow > 0 && gapLow > gapHigh;
  const sbWorst = ps.filter((p) => ARCHITECTURES.every((a) => mean("shared-bottom", p) >= mean(a, p)));
  const list = (xs: readonly string[]) => (xs.length === 0 ? "none" : xs.join(", "));
  const drop = (a: Architecture) => `${ARCHITECTURE_LABELS[a]} ${drops[a] >= 0 ? "+" : ""}${drops[a].toFixed(4)}`;
  return [
    {
      claim: "All models do better on more correlated tasks",
      verdict: monotone.length === ARCHITECTURES.length ? "reproduced" : monotone.length > 0 ? "partly reproduced" : "not reproduced",
      evidence: `mean test loss falls as the correlation rises for: ${list(monotone.map((a) => ARCHITECTURE_LABELS[a]))} (of ${ARCHITECTURES.length})`,
    },
    {
      claim: "MMoE loses least as the correlation drops",
      verdict: leastDrop === "mmoe" ? "reproduced" : drops.mmoe < Math.max(drops.omoe, drops["shared-bottom"]) ? "partly reproduced" : "not reproduced",
      evidence: `change of the mean test loss from p = ${fixed(highest, 2)} to p = ${fixed(lowest, 2)}: ${ARCHITECTURES.map(drop).join(", ")}`,
    },
    {
      claim: "OMoE matches MMoE on identical tasks and falls behind as they diverge",
      verdict: matches && fallsBehind ? "reproduced" : matches || fallsBehind ? "partly reproduced" : "not reproduced",
      evidence: `OMoE − MMoE mean test loss: ${gapHigh.toFixed(4)} at p = ${fixed(highest, 2)} (${matches ? "within" : "outside"} ${MATCH_TOLERANCE * 100}% of MMoE's), ${gapLow.toFixed(4)} at p = ${fixed(lowest, 2)}`,
    },
    {
      claim: "Shared-Bottom is worst at every correlation (the paper's Figure 4)",
      verdict: sbWorst.length === ps.length ? "reproduced" : sbWorst.length > 0 ? "partly reproduced" : "not reproduced",
      evidence: `Shared-Bottom has the highest mean test loss at p = ${list(sbWorst.map((p) => fixed(p, 2)))} of ${ps.map((p) => fixed(p, 2)).join(", ")}`,
    },
  ];
}

/** Under-trained models answer a different question than the paper's converged ones; say so when it shows. */
function convergenceNote(r: SyntheticResults, bestMean: number): string {
  const floor = MMOE_DEFAULTS.noiseStd ** 2;
  if (bestMean < 5 * floor) return "";
  const steps = Math.ceil(r.size.trainRows / r.size.batch) * r.size.epochs;
  return `
At ${count(steps)} steps no model is near convergence: the best mean test loss, ${fixed(bestMean, 4)}, is ${Math.round(bestMean / floor)} times
the noise floor. The comparison below is of how fast the models learn early on; the paper's Figure 4 runs for many
more steps, and so does the full size.
`;
}

/**
 * What MMoE's gates do on the test rows (\`mtl inspect\`): per correlation, the
 * experts each task's gate effectively uses and how far apart the two gates'
 * weights are, and a task × expert heatmap of the first seed's gates.
 */
function gateSection(r: SyntheticResults, correlations: readonly number[]): { figures: Figure[]; body(link: string): string } {
  const inspected = (p: number) => select(r.runs, "mmoe", p).flatMap((x) => (x.gates ? [x.gates] : []));
  const shown = correlations.filter((p) => inspected(p).length > 0);
  if (shown.length === 0) return { figures: [], body: () => "" };
  const seed = r.size.seeds[0]!;
  const figures: Figure[] = shown.map((p) => ({
    file: `mmoe-gates-corr${p.toFixed(1)}.svg`,
    alt: `MMoE's mean gate weight per task and expert at correlation ${p}`,
    svg: gateHeatmap(inspected(p)[0]!, `MMoE gates at correlation ${p.toFixed(1)} (seed ${seed})`),
  }));
  const gateNames = inspected(shown[0]!)[0]!.gates.map((g) => g.gate);
  const rows = shown.map((p) => {
    const runs = inspected(p);
    const effective = gateNames.map((name) => summaryCell(summarize(runs.map((g) => g.gates.find((x) => x.gate === name)!.effectiveExperts)), 2));
    return [fixed(p, 2), ...effective, summaryCell(summarize(runs.map((g) => g.pairs[0]?.distance ?? 0)), 3)];
  });
  const gateTable = table(["correlation", ...gateNames.map((g) => `effective experts, ${g}`), "distance between the gates"], rows, ["r", ...gateNames.map(() => "r" as const), "r"]);
  const body = (link: string) => `
Inside MMoE (\`mtl inspect\` on the test rows): the experts each task's gate effectively uses (exp of the mean entropy
of its weights, out of ${SYNTHETIC_SHAPE.experts}) and the mean total-variation distance between the two gates' weights (0: the gates are
identical, as in OMoE), mean over seeds. The heatmaps show the first seed's mean weight per task and expert.

${gateTable}

${figures.map((f) => `![${f.alt}](${link}/${f.file})`).join("\n")}
`;
  return { figures, body };
}

function select(runs: readonly SyntheticRun[], arch: Architecture, p: number): SyntheticRun[] {
  return runs.filter((x) => x.arch === arch && x.correlation === p).sort((a, b) => a.seed - b.seed);
}

function point(x: number, s: Summary) {
  return { x, y: s.mean, ...errorBar(s) };
}
