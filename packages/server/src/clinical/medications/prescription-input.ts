/**
 * Validation of a prescription as the prescriber sends it (a draft FHIR MedicationRequest,
 * https://hl7.org/fhir/R4/medicationrequest.html): the drug is an RxNorm code the knowledge
 * base knows, or free text (then marked uncoded); doses, quantities and refills are not
 * negative; the order is for this patient. Bad input is a 400 naming the element.
 */
import type { CodeableConcept, Extension, MedicationRequest, Quantity } from '@medplum/fhirtypes';
import { RXNORM_SYSTEM, badRequest } from '@chartroom/core';
import type { KnowledgeBaseState } from '@chartroom/core';

/** Marks a MedicationRequest whose drug is free text: it cannot be checked for interactions. */
export const UNCODED_DRUG_URL = 'https://chartroom.dev/fhir/StructureDefinition/uncoded-drug';
/** The knowledge-base version a prescription was checked against. */
export const CHECKED_WITH_URL = 'https://chartroom.dev/fhir/StructureDefinition/interaction-kb-version';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkQuantity(q: Quantity | undefined, path: string, allowZero: boolean): void {
  if (q === undefined) return;
  if (!isRecord(q) || typeof q.value !== 'number' || !Number.isFinite(q.value)) throw badRequest(`${path} needs a numeric value`, `${path}.value`);
  if (q.value < 0 || (!allowZero && q.value === 0)) throw badRequest(`${path} must be ${allowZero ? 'zero or more' : 'more than zero'} (got ${q.value})`, `${path}.value`);
}

/**
 * Validates a draft order for `patientId` and returns it normalised (status active, intent
 * order, subject set, uncoded drugs marked). Throws a 400 for anything wrong.
 */
export function validatePrescription(input: unknown, patientId: string, kb: KnowledgeBaseState): MedicationRequest {
  if (!isRecord(input)) throw badRequest('medicationRequest must be a MedicationRequest object', 'medicationRequest');
  if (input.resourceType !== undefined && input.resourceType !== 'MedicationRequest') {
    throw badRequest(`medicationRequest must be a MedicationRequest, not ${String(input.resourceType)}`, 'MedicationRequest.resourceType');
  }
  const mr = structuredClone({ ...input, resourceType: 'MedicationRequest' }) as MedicationRequest;
  delete mr.id;
  delete mr.meta;
  const subject = mr.subject?.reference;
  if (subject !== undefined && subject !== `Patient/${patientId}`) {
    throw badRequest(`The order is for ${subject}, not Patient/${patientId}`, 'MedicationRequest.subject');
  }
  mr.subject = { reference: `Patient/${patientId}` };
  if (mr.medicationReference) throw badRequest('Give the drug as medicationCodeableConcept (an RxNorm code, or text for a free-text drug)', 'MedicationRequest.medicationReference');
  const cc = mr.medicationCodeableConcept as CodeableConcept | undefined;
  if (!isRecord(cc) || (cc.coding !== undefined && !Array.isArray(cc.coding))) throw badRequest('The order needs a drug: medicationCodeableConcept with an RxNorm code, or text', 'MedicationRequest.medicationCodeableConcept');
  const rx = (cc.coding ?? []).map((c, i) => ({ c, i })).filter(({ c }) => c.system === RXNORM_SYSTEM);
  const otherCodes = (cc.coding ?? []).filter((c) => c.system !== RXNORM_SYSTEM);
  if (rx.length === 0 && !(typeof cc.text === 'string' && cc.text.trim())) {
    throw badRequest('The order needs a drug: an RxNorm code, or its name as text', 'MedicationRequest.medicationCodeableConcept');
  }
  const extensions: Extension[] = (mr.extension ?? []).filter((e) => e.url !== UNCODED_DRUG_URL && e.url !== CHECKED_WITH_URL);
  if (rx.length) {
    // Without a knowledge base the codes cannot be verified; prescribing then needs the
    // "checking unavailable" override (medication-service.ts).
    for (const { c, i } of kb.ok ? rx : []) {
      if (typeof c.code !== 'string' || !/^\d{1,10}$/.test(c.code)) {
        throw badRequest(`"${String(c.code)}" is not an RxNorm code (RxNorm codes are digits)`, `MedicationRequest.medicationCodeableConcept.coding[${i}].code`);
      }
      if (!kb.ok) break;
      if (!kb.kb.ingredientsOf.has(c.code)) {
        throw badRequest(
          `Unknown drug: RxNorm code ${c.code} is not in Chartroom's drug list (knowledge base ${kb.kb.version}); choose a listed drug or prescribe it as free text`,
          `MedicationRequest.medicationCodeableConcept.coding[${i}].code`,
        );
      }
      if (!c.display) {
        const ing = kb.kb.ingredientsOf.get(c.code) ?? [];
        c.display = ing.map((x) => kb.kb.drugs.get(x)?.name ?? x).join(' / ');
      }
    }
  } else {
    // Free text: allowed, but marked so that everyone sees it was not checked.
    extensions.push({ url: UNCODED_DRUG_URL, valueBoolean: true });
    if (otherCodes.length) cc.coding = otherCodes;
  }
  if (extensions.length) mr.extension = extensions;
  else delete mr.extension;

  (mr.dosageInstruction ?? []).forEach((d, i) => {
    (d.doseAndRate ?? []).forEach((dr, j) => checkQuantity(dr.doseQuantity, `MedicationRequest.dosageInstruction[${i}].doseAndRate[${j}].doseQuantity`, false));
    const rep = d.timing?.repeat;
    if (rep?.frequency !== undefined && (!Number.isInteger(rep.frequency) || rep.frequency < 1)) {
      throw badRequest(`frequency must be a whole number of at least 1 (got ${rep.frequency})`, `MedicationRequest.dosageInstruction[${i}].timing.repeat.frequency`);
    }
    if (rep?.period !== undefined && !(rep.period > 0)) throw badRequest(`period must be more than zero (got ${rep.period})`, `MedicationRequest.dosageInstruction[${i}].timing.repeat.period`);
  });
  const disp = mr.dispenseRequest;
  if (disp) {
    checkQuantity(disp.quantity, 'MedicationRequest.dispenseRequest.quantity', false);
    const refills = disp.numberOfRepeatsAllowed;
    if (refills !== undefined && (!Number.isInteger(refills) || refills < 0)) {
      throw badRequest(`Refills (numberOfRepeatsAllowed) must be a whole number of zero or more (got ${String(refills)})`, 'MedicationRequest.dispenseRequest.numberOfRepeatsAllowed');
    }
    checkQuantity(disp.expectedSupplyDuration, 'MedicationRequest.dispenseRequest.expectedSupplyDuration', false);
  }
  mr.status = 'active';
  mr.intent = mr.intent ?? 'order';
  return mr;
}

/** True when a MedicationRequest carries the uncoded-drug mark. */
export function isUncoded(mr: MedicationRequest): boolean {
  return (mr.extension ?? []).some((e) => e.url === UNCODED_DRUG_URL && e.valueBoolean === true);
}
