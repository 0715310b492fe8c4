/** The parts of FHIR R4 resources the web app reads (https://hl7.org/fhir/R4/resourcelist.html). */

export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Reference {
  reference?: string;
  display?: string;
}
export interface Quantity {
  value?: number;
  unit?: string;
  code?: string;
}
export interface HumanName {
  use?: string;
  text?: string;
  family?: string;
  given?: string[];
}
export interface Period {
  start?: string;
  end?: string;
}
export interface Meta {
  versionId?: string;
  lastUpdated?: string;
  security?: Coding[];
}
export interface Attachment {
  contentType?: string;
  data?: string;
  url?: string;
  title?: string;
  size?: number;
}

interface Base {
  id?: string;
  meta?: Meta;
}

export interface Patient extends Base {
  resourceType: 'Patient';
  identifier?: { type?: CodeableConcept; system?: string; value?: string }[];
  name?: HumanName[];
  gender?: string;
  birthDate?: string;
  telecom?: { system?: string; value?: string }[];
  communication?: { language?: CodeableConcept }[];
  generalPractitioner?: Reference[];
  extension?: { url?: string; valueString?: string }[];
}
export interface AllergyIntolerance extends Base {
  resourceType: 'AllergyIntolerance';
  clinicalStatus?: CodeableConcept;
  verificationStatus?: CodeableConcept;
  criticality?: string;
  category?: string[];
  code?: CodeableConcept;
  reaction?: { manifestation?: CodeableConcept[]; severity?: string }[];
  recordedDate?: string;
}
export interface Condition extends Base {
  resourceType: 'Condition';
  clinicalStatus?: CodeableConcept;
  code?: CodeableConcept;
  onsetDateTime?: string;
  recordedDate?: string;
}
export interface Dosage {
  text?: string;
}
export interface MedicationRequest extends Base {
  resourceType: 'MedicationRequest';
  status?: string;
  intent?: string;
  medicationCodeableConcept?: CodeableConcept;
  subject?: Reference;
  authoredOn?: string;
  requester?: Reference;
  dosageInstruction?: Dosage[];
  dispenseRequest?: { quantity?: Quantity; numberOfRepeatsAllowed?: number; expectedSupplyDuration?: Quantity };
  note?: { text?: string }[];
}
export interface ReferenceRange {
  low?: Quantity;
  high?: Quantity;
  text?: string;
}
export interface Observation extends Base {
  resourceType: 'Observation';
  status?: string;
  category?: CodeableConcept[];
  code?: CodeableConcept;
  subject?: Reference;
  effectiveDateTime?: string;
  issued?: string;
  valueQuantity?: Quantity;
  valueString?: string;
  valueCodeableConcept?: CodeableConcept;
  interpretation?: CodeableConcept[];
  referenceRange?: ReferenceRange[];
  component?: { code?: CodeableConcept; valueQuantity?: Quantity }[];
}
export interface Encounter extends Base {
  resourceType: 'Encounter';
  status?: string;
  type?: CodeableConcept[];
  period?: Period;
  participant?: { individual?: Reference }[];
  reasonCode?: CodeableConcept[];
}
export interface DocumentReference extends Base {
  resourceType: 'DocumentReference';
  status?: string;
  docStatus?: string;
  type?: CodeableConcept;
  category?: CodeableConcept[];
  date?: string;
  author?: Reference[];
  authenticator?: Reference;
  description?: string;
  securityLabel?: CodeableConcept[];
  content?: { attachment?: Attachment }[];
  relatesTo?: { code?: string; target?: Reference }[];
}
export interface AppointmentParticipant {
  actor?: Reference;
  status?: string;
}
export interface Appointment extends Base {
  resourceType: 'Appointment';
  status?: string;
  serviceType?: CodeableConcept[];
  appointmentType?: CodeableConcept;
  description?: string;
  start?: string;
  end?: string;
  minutesDuration?: number;
  participant?: AppointmentParticipant[];
  comment?: string;
}
export interface Practitioner extends Base {
  resourceType: 'Practitioner';
  name?: HumanName[];
}
export interface Communication extends Base {
  resourceType: 'Communication';
  status?: string;
  sent?: string;
  payload?: { contentString?: string }[];
  sender?: Reference;
}
export interface Flag extends Base {
  resourceType: 'Flag';
  status?: string;
  code?: CodeableConcept;
}
export interface OtherResource extends Base {
  resourceType: string;
}

export type AnyResource =
  | Patient
  | AllergyIntolerance
  | Condition
  | MedicationRequest
  | Observation
  | Encounter
  | DocumentReference
  | Appointment
  | Practitioner
  | Communication
  | Flag;

export interface Bundle<R = AnyResource> {
  resourceType: 'Bundle';
  total?: number;
  entry?: { resource?: R; search?: { mode?: string } }[];
  link?: { relation: string; url: string }[];
}
