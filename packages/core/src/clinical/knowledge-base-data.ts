/**
 * The shape of Chartroom's drug knowledge base as shipped (knowledge/knowledge-data.ts, built
 * by scripts/build-knowledge.mjs). Plain data; {@link loadKnowledgeBase} validates and indexes it.
 */

/** Alert severities, most severe first. */
export const ALERT_SEVERITIES = ['contraindicated', 'major', 'moderate', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** One ingredient of the drug list (RxNorm ingredient concept). */
export interface KbDrug {
  rxcui: string;
  /** Lower-case ingredient name. */
  name: string;
  /** Ids of the classes it belongs to. */
  classes: string[];
}

export interface KbClass {
  name: string;
  /** Two members at once are flagged as duplicate therapy. */
  duplicate?: boolean;
  /** An allergy to one member warns on every other member. */
  allergyGroup?: boolean;
}

/** A drug–drug rule: any ingredient of `a` with any (different) ingredient of `b`. */
export interface KbDdiRule {
  id: string;
  severity: AlertSeverity;
  /** Rules of one family (serotonin, qt) report only the most severe for a pair. */
  family?: string;
  a: string[];
  b: string[];
  title: string;
  explanation: string;
  /** Key into {@link KnowledgeBaseData.sources}. */
  source: string;
}

/** A drug–allergy rule: an allergy to an ingredient of `allergen` warns on an ingredient of `drug`. */
export interface KbAllergyRule {
  id: string;
  severity: AlertSeverity;
  allergen: string[];
  drug: string[];
  title: string;
  explanation: string;
  source: string;
}

export interface KnowledgeBaseData {
  format: number;
  /** `<major>.<build date>.<content hash>`: named by every alert. */
  version: string;
  builtAt: string;
  /** Source id → citation. */
  sources: Record<string, string>;
  /** The files the build read, with a short hash of each. */
  inputs: { file: string; sha256: string }[];
  /** Rows of the source data that could not be turned into rules, and why. */
  sourceDefects: string[];
  classes: Record<string, KbClass>;
  drugs: KbDrug[];
  /** Salt, precise-ingredient and product codes → ingredient codes. */
  codes: Record<string, string[]>;
  /** Product codes for local use (ophthalmic, topical): allergies are checked, interactions are not. */
  localCodes: string[];
  ddiRules: KbDdiRule[];
  allergyRules: KbAllergyRule[];
}
