/**
 * The shapes the importer passes around: what it reads (units), what it reports
 * (issues, progress) and what it returns (the summary).
 */

/** A resource as read from a file: a JSON object, not yet validated. */
export type RawResource = Record<string, unknown>;

/** One entry of a unit: the resource to write and where it came from. */
export interface UnitEntry {
  /** Position in the file, for messages: `entry[12]`, `line 7`, `[3]`, or '' for a whole-file resource. */
  where: string;
  resource: RawResource;
}

/**
 * An entry of a transaction Bundle that needs the database before it can be written
 * (https://hl7.org/fhir/R4/http.html#trules): a conditional create.
 */
export interface ConditionalCreate {
  /** Index in {@link ImportUnit.entries}. */
  entry: number;
  /** The `If-None-Exist` criteria. */
  ifNoneExist: string;
  /** The `Type/id` this entry was given, which references in the Bundle point at. */
  assigned: string;
}

/**
 * What the importer writes in one go. A `transaction` unit is all-or-nothing (a failing
 * entry stores nothing of it); a `resources` unit's resources succeed or fail one by one.
 */
export interface ImportUnit {
  file: string;
  atomic: boolean;
  entries: UnitEntry[];
  /**
   * Set when the unit cannot be written blind: conditional creates, conditional references
   * or references to resources outside the Bundle are resolved against the store first.
   */
  lookups?: {
    conditionalCreates: ConditionalCreate[];
    /**
     * References that are not to entries of the Bundle, `Type/id` (must exist) or
     * `Type?criteria` (must match one), with the index of the first entry holding each.
     */
    external: Map<string, number>;
  };
  /**
   * A Bundle whose semantics the fast path does not cover (DELETE, GET, PATCH, conditional
   * update): written through the FHIR transaction processor instead.
   */
  bundle?: RawResource;
  /** Position of the Bundle in its file when {@link bundle} is set (`line 7`, or ''). */
  where?: string;
}

/** A problem with one file, entry or line; the import goes on. */
export interface ImportIssue {
  file: string;
  /** `entry[12]`, `line 7`, … or '' when the whole file is concerned. */
  where: string;
  message: string;
}

/** Reported while importing. */
export interface ImportProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Resources stored so far. */
  resources: number;
  errors: number;
  elapsedMs: number;
  /** The file being read. */
  file: string;
}

/** The outcome of an import. */
export interface ImportSummary {
  files: number;
  /** Resources stored (created or updated). */
  resources: number;
  /** Stored resources by type. */
  byType: Record<string, number>;
  /** Transaction Bundles stored whole, and those that stored nothing because of an error. */
  transactions: { stored: number; failed: number };
  /** Entries that were skipped by design (e.g. `GET` in a transaction, search outcomes). */
  skipped: number;
  errors: ImportIssue[];
  elapsedMs: number;
  resourcesPerSecond: number;
}
