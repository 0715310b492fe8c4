/**
 * The authorisation table: which role may do which action on which class of resource.
 * Every role × class × action cell is written out (no defaults), so a missing cell is a
 * type error and fails the policy test. Sensitivity labels and scopes narrow it further
 * (see policy.ts). Isomorphic.
 */
import type { Action } from './access.js';
import type { Role } from './principal.js';

/** Classes of resources that share access rules. */
export const RESOURCE_CLASSES = [
  'demographics',
  'directory',
  'schedule',
  'encounter',
  'clinical',
  'orders',
  'notes',
  'billing',
  'consent',
  'provenance',
  'audit',
  'knowledge',
  'security',
  'sync',
] as const;
export type ResourceClass = (typeof RESOURCE_CLASSES)[number];

/**
 * The class of each resource type the product uses. FHIR R4 types not listed fall into
 * {@link DEFAULT_RESOURCE_CLASS} (clinical: the safe default, hidden from front desk,
 * billing and admin). Names that are not FHIR types (`User`, `Setting`…) are what app
 * routes declare in `RouteAccess.resourceType`.
 */
export const RESOURCE_TYPE_CLASS: Readonly<Record<string, ResourceClass>> = Object.freeze({
  Patient: 'demographics',
  RelatedPerson: 'demographics',
  Person: 'demographics',
  Practitioner: 'directory',
  PractitionerRole: 'directory',
  Organization: 'directory',
  Location: 'directory',
  HealthcareService: 'directory',
  Endpoint: 'directory',
  Device: 'directory',
  Appointment: 'schedule',
  AppointmentResponse: 'schedule',
  Schedule: 'schedule',
  Slot: 'schedule',
  Encounter: 'encounter',
  EpisodeOfCare: 'encounter',
  Condition: 'clinical',
  AllergyIntolerance: 'clinical',
  Observation: 'clinical',
  DiagnosticReport: 'clinical',
  Immunization: 'clinical',
  Procedure: 'clinical',
  MedicationStatement: 'clinical',
  MedicationAdministration: 'clinical',
  MedicationDispense: 'clinical',
  FamilyMemberHistory: 'clinical',
  CarePlan: 'clinical',
  CareTeam: 'clinical',
  Goal: 'clinical',
  Flag: 'clinical',
  Specimen: 'clinical',
  ImagingStudy: 'clinical',
  QuestionnaireResponse: 'clinical',
  ClinicalImpression: 'clinical',
  DetectedIssue: 'clinical',
  RiskAssessment: 'clinical',
  Media: 'clinical',
  List: 'clinical',
  Task: 'clinical',
  MedicationRequest: 'orders',
  ServiceRequest: 'orders',
  DeviceRequest: 'orders',
  NutritionOrder: 'orders',
  DocumentReference: 'notes',
  Composition: 'notes',
  Binary: 'notes',
  Communication: 'notes',
  Coverage: 'billing',
  CoverageEligibilityRequest: 'billing',
  CoverageEligibilityResponse: 'billing',
  Claim: 'billing',
  ClaimResponse: 'billing',
  ExplanationOfBenefit: 'billing',
  Account: 'billing',
  ChargeItem: 'billing',
  Invoice: 'billing',
  PaymentNotice: 'billing',
  PaymentReconciliation: 'billing',
  Consent: 'consent',
  Provenance: 'provenance',
  AuditEvent: 'audit',
  Medication: 'knowledge',
  Substance: 'knowledge',
  Questionnaire: 'knowledge',
  ValueSet: 'knowledge',
  CodeSystem: 'knowledge',
  ConceptMap: 'knowledge',
  StructureDefinition: 'knowledge',
  SearchParameter: 'knowledge',
  PlanDefinition: 'knowledge',
  ActivityDefinition: 'knowledge',
  Library: 'knowledge',
  // App-route resource names (not FHIR types).
  User: 'security',
  Session: 'security',
  ApiToken: 'security',
  Setting: 'security',
  BreakGlass: 'audit',
  SyncPeer: 'sync',
  Conflict: 'sync',
});

/** Class of FHIR types the table does not list. */
export const DEFAULT_RESOURCE_CLASS: ResourceClass = 'clinical';

/** The class a resource type is decided by. */
export function resourceClassOf(resourceType: string): ResourceClass {
  return RESOURCE_TYPE_CLASS[resourceType] ?? DEFAULT_RESOURCE_CLASS;
}

/** One cell: `true` allows, `false` denies. */
export type ActionCells = Readonly<Record<Action, boolean>>;
export type PolicyTable = Readonly<Record<Role, Readonly<Record<ResourceClass, ActionCells>>>>;

const cells = (allowed: string): ActionCells => {
  // Letters: r read, s search, c create, u update, d delete, g sign, x export, a admin.
  const has = (ch: string): boolean => allowed.includes(ch);
  return Object.freeze({ read: has('r'), search: has('s'), create: has('c'), update: has('u'), delete: has('d'), sign: has('g'), export: has('x'), admin: has('a') });
};

/**
 * Role × class × action. Letters: r read, s search, c create, u update, d delete, g sign,
 * x export/print, a admin. Front desk: schedule and demographics, not notes; billing:
 * coverage, claims, encounters; nurse: the chart (psychotherapy notes are excluded by
 * label, not here); clinician: the chart; admin: users, settings, audit, never clinical data.
 */
export const POLICY_TABLE: PolicyTable = Object.freeze({
  admin: Object.freeze({
    demographics: cells('rscu'),
    directory: cells('rscudxa'),
    schedule: cells('rscud'),
    encounter: cells('rs'),
    clinical: cells(''),
    orders: cells(''),
    notes: cells(''),
    billing: cells('rs'),
    consent: cells('rs'),
    provenance: cells('rs'),
    audit: cells('rsxa'),
    knowledge: cells('rscudxa'),
    security: cells('rscuda'),
    sync: cells('rsua'),
  }),
  clinician: Object.freeze({
    demographics: cells('rscux'),
    directory: cells('rs'),
    schedule: cells('rscux'),
    encounter: cells('rscux'),
    clinical: cells('rscudx'),
    orders: cells('rscudgx'),
    notes: cells('rscudgx'),
    billing: cells('rs'),
    consent: cells('rscux'),
    provenance: cells('rsc'),
    audit: cells(''),
    knowledge: cells('rs'),
    security: cells(''),
    sync: cells('rsu'),
  }),
  nurse: Object.freeze({
    demographics: cells('rscu'),
    directory: cells('rs'),
    schedule: cells('rscux'),
    encounter: cells('rscu'),
    clinical: cells('rscu'),
    orders: cells('rscu'),
    notes: cells('rscug'),
    billing: cells(''),
    consent: cells('rs'),
    provenance: cells('rs'),
    audit: cells(''),
    knowledge: cells('rs'),
    security: cells(''),
    sync: cells('rs'),
  }),
  'front-desk': Object.freeze({
    demographics: cells('rscu'),
    directory: cells('rs'),
    schedule: cells('rscudx'),
    encounter: cells('rscu'),
    clinical: cells(''),
    orders: cells(''),
    notes: cells(''),
    billing: cells('rscu'),
    consent: cells('rscu'),
    provenance: cells(''),
    audit: cells(''),
    knowledge: cells('rs'),
    security: cells(''),
    sync: cells(''),
  }),
  billing: Object.freeze({
    demographics: cells('rs'),
    directory: cells('rs'),
    schedule: cells('rs'),
    encounter: cells('rs'),
    clinical: cells(''),
    orders: cells(''),
    notes: cells(''),
    billing: cells('rscudx'),
    consent: cells('rs'),
    provenance: cells(''),
    audit: cells(''),
    knowledge: cells('rs'),
    security: cells(''),
    sync: cells(''),
  }),
});
