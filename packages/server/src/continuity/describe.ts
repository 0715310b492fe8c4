/**
 * One line of plain text per resource, as summaries print it: "Type 2 diabetes mellitus
 * (since 2019-04-02)", "Penicillin — hives (high criticality)", "Metformin 500 mg — 1 tablet
 * twice daily", "HbA1c 7.2 % (H) 2026-10-01".
 */
import type {
  AllergyIntolerance,
  CodeableConcept,
  Condition,
  HumanName,
  Immunization,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Quantity,
  Resource,
} from '@medplum/fhirtypes';

/** The text of a CodeableConcept: its text, else its first coding's display or code. */
export function conceptText(cc: CodeableConcept | undefined): string {
  return cc?.text ?? cc?.coding?.find((c) => c.display)?.display ?? cc?.coding?.[0]?.code ?? '';
}

/** "Given Family" of the official (else first) name. */
export function personName(names: readonly HumanName[] | undefined): string {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return '(no name)';
  return n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family ?? ''].filter(Boolean).join(' ');
}

/** "72 kg", "120/80 mmHg". */
export function quantityText(q: Quantity | undefined): string {
  if (!q || q.value === undefined) return '';
  return `${q.value}${q.unit ? ` ${q.unit}` : q.code ? ` ${q.code}` : ''}`;
}

/** The date part of a FHIR dateTime. */
export function day(dt: string | undefined): string {
  return dt ? dt.slice(0, 10) : '';
}

/** An observation's value, with components (blood pressure) joined. */
export function observationValueText(o: Observation): string {
  if (o.valueQuantity) return quantityText(o.valueQuantity);
  if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept);
  if (o.valueString !== undefined) return o.valueString;
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  if (o.valueBoolean !== undefined) return o.valueBoolean ? 'yes' : 'no';
  if (o.component?.length) {
    const qs = o.component.map((c) => c.valueQuantity);
    const unit = qs[0]?.unit ?? '';
    if (qs.every((q) => q?.value !== undefined && (q.unit ?? '') === unit)) return `${qs.map((q) => q?.value).join('/')}${unit ? ` ${unit}` : ''}`;
    return o.component.map((c) => `${conceptText(c.code)} ${quantityText(c.valueQuantity)}`).join(', ');
  }
  return o.dataAbsentReason ? `(${conceptText(o.dataAbsentReason)})` : '';
}

/** The abnormal flag of an observation (H, L, A, HH, LL…) or ''. */
export function observationFlag(o: Observation): string {
  const codes = [...(o.interpretation ?? []), ...(o.component ?? []).flatMap((c) => c.interpretation ?? [])]
    .flatMap((i) => i.coding ?? [])
    .map((c) => c.code ?? '')
    .filter((c) => c && c !== 'N');
  return [...new Set(codes)].join(',');
}

/** The sig of a prescription: its dosage instructions' text, else built from timing and dose. */
export function sigText(m: MedicationRequest | MedicationStatement): string {
  const dosage = m.resourceType === 'MedicationRequest' ? m.dosageInstruction : m.dosage;
  return (dosage ?? [])
    .map((d) => {
      if (d.text) return d.text;
      const dose = quantityText(d.doseAndRate?.[0]?.doseQuantity);
      const r = d.timing?.repeat;
      const freq = r?.frequency !== undefined && r.period !== undefined ? `${r.frequency}× per ${r.period} ${r.periodUnit ?? ''}`.trim() : conceptText(d.timing?.code);
      return [dose, conceptText(d.route), freq, d.asNeededBoolean ? 'as needed' : ''].filter(Boolean).join(' ');
    })
    .filter(Boolean)
    .join('; ');
}

/** The medication's name. */
export function medicationText(m: MedicationRequest | MedicationStatement): string {
  return conceptText(m.medicationCodeableConcept) || m.medicationReference?.display || '(medication)';
}

/** A one-line description of a resource for narratives and printouts. */
export function describe(r: Resource): string {
  switch (r.resourceType) {
    case 'Patient': {
      const p = r as Patient;
      return `${personName(p.name)}${p.birthDate ? `, born ${p.birthDate}` : ''}${p.gender ? `, ${p.gender}` : ''}`;
    }
    case 'Condition': {
      const c = r as Condition;
      const since = day(c.onsetDateTime ?? c.onsetPeriod?.start ?? c.recordedDate);
      return `${conceptText(c.code) || '(problem)'}${since ? ` (since ${since})` : ''}`;
    }
    case 'AllergyIntolerance': {
      const a = r as AllergyIntolerance;
      const reactions = (a.reaction ?? []).flatMap((x) => x.manifestation.map(conceptText)).filter(Boolean);
      return `${conceptText(a.code) || '(substance)'}${reactions.length ? ` — ${reactions.join(', ')}` : ''}${a.criticality === 'high' ? ' (high criticality)' : ''}`;
    }
    case 'MedicationRequest':
    case 'MedicationStatement': {
      const m = r as MedicationRequest | MedicationStatement;
      const sig = sigText(m);
      return `${medicationText(m)}${sig ? ` — ${sig}` : ''}`;
    }
    case 'Immunization': {
      const i = r as Immunization;
      return `${conceptText(i.vaccineCode)}${i.occurrenceDateTime ? ` ${day(i.occurrenceDateTime)}` : ''}`;
    }
    case 'Observation': {
      const o = r as Observation;
      const flag = observationFlag(o);
      const at = day(o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued);
      return `${conceptText(o.code)}: ${observationValueText(o)}${flag ? ` (${flag})` : ''}${at ? ` ${at}` : ''}`;
    }
    default:
      return `${r.resourceType}/${r.id ?? ''}`;
  }
}
