/**
 * The models of the ESMM experiment, as data: one entry per spec. All have
 * the features, embeddings and towers of specs/esmm.mtl (plus the user's
 * age); they differ in which towers they have and where the CVR tower learns
 * from. Adding a model is adding an entry (the report's tables, figure and
 * saved specs follow the list).
 */
import { formatParsed } from "../../format/index.js";
import { trainBlock, type TrainSettings } from "../architectures.js";

export interface EsmmModelEntry {
  /** The key in results and the saved spec's file name (`esmm/<id>.mtl`). */
  id: string;
  label: string;
  /** One Markdown list item for the report: what the model is and where its pCVR learns. */
  description: string;
  /** The spec's towers and tasks; features, `input x` and the train block are every model's. */
  lines: readonly string[];
  /** False for a model that has no pCVR and only lends its pCTR to another (the CTR model). */
  scored: boolean;
  /** The entry whose 'ctr' task gives this model's pCTR (for pCTCVR = pCTR * pCVR) when it has no 'ctr' of its own. */
  pctrFrom?: string;
}

const CTR_TOWER = "tower ctr_tower = mlp(x, [128, 64, 32], dropout: 0.1)";
const CVR_TOWER = "tower cvr_tower = mlp(x, [128, 64, 32], dropout: 0.1)";
const CTR_TASK = "## p(click | impression)\ntask ctr : binary = ctr_tower label click";
const CLICKED_CVR_TASK = "## p(buy | click, impression), fitted on clicked impressions only.\ntask cvr : binary = cvr_tower label purchase where click";
const CTCVR_TASK = "## p(click & buy | impression), over every impression.\ntask ctcvr : binary = ctr * cvr label purchase";
/**
 * ESCM²'s counterfactual weight λ_c (the cvr task's weight; λ_g, ctcvr's, is 1).
 * The IPS loss estimates the CVR loss over every impression (about 0.3 here),
 * which at weight 1 would outweigh the CTR (0.16) and CTCVR (0.03) losses
 * tenfold; 0.1 puts it beside the CTCVR loss. Not tuned: one value, stated.
 */
export const COUNTERFACTUAL_WEIGHT = 0.1;

/** AITM's calibrator weight α, the paper's value. */
export const AITM_CALIBRATOR = 0.6;

export const ESMM_MODELS: readonly EsmmModelEntry[] = [
  {
    id: "esmm",
    label: "ESMM",
    description:
      "**ESMM**: `task ctr` on all impressions, `task cvr : binary = cvr_tower` (latent) and\n  `task ctcvr : binary = ctr * cvr label purchase`, so pCVR is learnt on the entire space.",
    lines: [CTR_TOWER, CVR_TOWER, CTR_TASK, "## p(buy | click, impression): latent, trained only through ctcvr.\ntask cvr : binary = cvr_tower", CTCVR_TASK],
    scored: true,
  },
  {
    id: "naive",
    label: "naive CVR",
    description:
      "**naive CVR**: the paper's BASE, a CVR model alone, `task cvr : binary = cvr_tower label purchase where click`:\n" +
      "  it reads every impression but learns from the clicked ones only (`click` is a data column no task of this spec\n" +
      "  predicts); its pCTCVR is the pCTR of a separately trained CTR model (**CTR alone**) times its pCVR. With the\n" +
      "  same batch as the others it takes as many steps, each with the clicked rows of its batch.",
    lines: [CVR_TOWER, CLICKED_CVR_TASK],
    scored: true,
    pctrFrom: "ctr",
  },
  {
    id: "ctr",
    label: "CTR alone",
    description: "**CTR alone**: `task ctr` by itself, the pCTR that turns the naive model's pCVR into a pCTCVR.",
    lines: [CTR_TOWER, CTR_TASK],
    scored: false,
  },
  {
    id: "naive-shared",
    label: "naive CVR + CTR, shared embeddings",
    description:
      "**naive CVR + CTR, shared embeddings**: the CTR task and the same clicks-only CVR task in one model\n" +
      "  (`task cvr : binary = cvr_tower label purchase where click`), trained on all impressions. It has\n" +
      "  ESMM's shared embeddings but not its entire-space CVR, so it tells the two apart (the paper's ESMM-NS makes the\n" +
      "  same cut from the other side).",
    lines: [CTR_TOWER, CVR_TOWER, CTR_TASK, CLICKED_CVR_TASK],
    scored: true,
  },
  {
    id: "escm2-ips",
    label: "ESCM²-IPS",
    description:
      "**ESCM²-IPS** (Wang et al., SIGIR 2022): ESMM plus the counterfactual CVR risk,\n" +
      `  \`task cvr : binary = cvr_tower label purchase where click debias ips(ctr) weight ${COUNTERFACTUAL_WEIGHT}\`: the clicked rows'\n` +
      "  CVR loss divided by the (detached, clipped at 0.05) pCTR, averaged over every impression.",
    lines: [
      CTR_TOWER,
      CVR_TOWER,
      CTR_TASK,
      `## p(buy | do(click), impression): the clicked rows' loss over pCTR, averaged over every impression.\ntask cvr : binary = cvr_tower label purchase where click debias ips(ctr) weight ${COUNTERFACTUAL_WEIGHT}`,
      CTCVR_TASK,
    ],
    scored: true,
  },
  {
    id: "escm2-dr",
    label: "ESCM²-DR",
    description:
      "**ESCM²-DR**: as ESCM²-IPS with the doubly robust risk, `debias dr(ctr, imputation: imp)`, where\n" +
      "  `task imp : regression = imp_tower` predicts each impression's CVR loss (a tower of [64, 32] of its own).",
    lines: [
      CTR_TOWER,
      CVR_TOWER,
      "tower imp_tower = mlp(x, [64, 32])",
      CTR_TASK,
      `## p(buy | do(click), impression), doubly robust.\ntask cvr : binary = cvr_tower label purchase where click debias dr(ctr, imputation: imp) weight ${COUNTERFACTUAL_WEIGHT}`,
      "## ê: the imputed CVR loss of an impression, trained by the DR loss alone.\ntask imp : regression = imp_tower",
      CTCVR_TASK,
    ],
    scored: true,
  },
  {
    id: "aitm",
    label: "AITM",
    description:
      "**AITM** (Xi et al., KDD 2021): the CTR tower and a purchase tower of its own,\n" +
      `  \`task ctcvr : binary = ctcvr_tower label purchase after ctr calibrate ${AITM_CALIBRATOR}\`: the click step's representation\n` +
      "  reaches the purchase step through the AIT module's attention, and the calibrator keeps pCTCVR below pCTR. It has\n" +
      "  no pCVR output: its pCVR is pCTCVR / pCTR (at most 1).",
    lines: [
      CTR_TOWER,
      "tower ctcvr_tower = mlp(x, [128, 64, 32], dropout: 0.1)",
      CTR_TASK,
      `## p(click & buy | impression), with the click step's information transferred to it.\ntask ctcvr : binary = ctcvr_tower label purchase after ctr calibrate ${AITM_CALIBRATOR}`,
    ],
    scored: true,
  },
];

/** The models with a pCVR, in the order of the report's columns. */
export const CVR_MODELS: readonly EsmmModelEntry[] = ESMM_MODELS.filter((m) => m.scored);

export const ESMM_MODEL_LABELS: Readonly<Record<string, string>> = Object.fromEntries(ESMM_MODELS.map((m) => [m.id, m.label]));

export function esmmModel(id: string): EsmmModelEntry {
  const entry = ESMM_MODELS.find((m) => m.id === id);
  if (!entry) throw new Error(`no ESMM experiment model '${id}' (have: ${ESMM_MODELS.map((m) => m.id).join(", ")})`);
  return entry;
}

/** The spec of one model, in `mtl fmt`'s layout (the formatter aligns the task declarations the entries write plainly). */
export function esmmSpec(id: string, train: TrainSettings): string {
  const model = esmmModel(id);
  return formatParsed(`## ${model.label}, for the ESMM experiment (generated by src/experiments/esmm/specs.ts).
model esmm_experiment_${model.id.replace(/-/g, "_")} "${model.label}"

feature user_id  : categorical(buckets: 10_000, dim: 16)
feature item_id  : categorical(buckets: 10_000, dim: 16)
feature category : categorical(buckets: 100, dim: 8)
feature price    : numeric(transform: log1p, normalize: zscore)
feature user_age : numeric(normalize: zscore)

input x = concat(*)

${model.lines.join("\n")}

${trainBlock(train)}
`);
}
