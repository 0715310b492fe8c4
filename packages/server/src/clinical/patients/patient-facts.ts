/**
 * Small facts about a patient that several views show: display name, MRN, phone, the
 * coverage in force with its copay, and the account balance.
 * See https://hl7.org/fhir/R4/coverage.html and https://hl7.org/fhir/R4/account.html
 */
import type { Account, Coverage, Patient } from '@medplum/fhirtypes';

/** Extension on Account carrying the patient's outstanding balance (R4 Account has no balance element). */
export const ACCOUNT_BALANCE_URL = 'https://chartroom.dev/fhir/StructureDefinition/account-balance';

/** A patient's name as the practice shows it ("Given Family", or the name's text). */
export function patientName(p: Patient): string {
  const n = p.name?.find((x) => x.use === 'official') ?? p.name?.[0];
  if (!n) return '(no name)';
  return n.text ?? [...(n.given ?? []), n.family].filter(Boolean).join(' ');
}

/** The medical record number: the identifier typed MR, else the first identifier. */
export function patientMrn(p: Patient): string | undefined {
  const mr = p.identifier?.find((i) => i.type?.coding?.some((c) => c.code === 'MR'));
  return (mr ?? p.identifier?.[0])?.value;
}

/** The first phone number. */
export function patientPhone(p: Patient): string | undefined {
  return p.telecom?.find((t) => t.system === 'phone')?.value;
}

/** Coverage as the front desk reads it. */
export interface CoverageSummary {
  id: string;
  payor: string | undefined;
  plan: string | undefined;
  memberId: string | undefined;
  /** Copay per visit, or null when the plan lists none. */
  copay: number | null;
  currency: string | undefined;
}

/** The coverage in force on `at` (epoch ms): active, in period, lowest `order` first. */
export function coverageInForce(coverages: readonly Coverage[], at: number): Coverage | undefined {
  const inForce = coverages.filter((c) => {
    if (c.status !== 'active') return false;
    const s = c.period?.start ? Date.parse(c.period.start) : -Infinity;
    const e = c.period?.end ? Date.parse(c.period.end) + 86_400_000 : Infinity;
    return s <= at && at < e;
  });
  return inForce.sort((a, b) => (a.order ?? 1e9) - (b.order ?? 1e9))[0];
}

/** The front desk's view of a Coverage. */
export function summarizeCoverage(c: Coverage): CoverageSummary {
  const copay = c.costToBeneficiary?.find((x) => x.type?.coding?.some((k) => k.code === 'copay')) ?? c.costToBeneficiary?.[0];
  return {
    id: c.id ?? '',
    payor: c.payor?.[0]?.display,
    plan: c.class?.find((k) => k.type.coding?.some((x) => x.code === 'plan'))?.name ?? c.class?.[0]?.name,
    memberId: c.subscriberId ?? c.identifier?.[0]?.value,
    copay: copay?.valueMoney?.value ?? null,
    currency: copay?.valueMoney?.currency,
  };
}

/** The outstanding balance on an account (0 when none is recorded). */
export function accountBalance(a: Account): number {
  if (a.status && a.status !== 'active') return 0;
  return a.extension?.find((e) => e.url === ACCOUNT_BALANCE_URL)?.valueMoney?.value ?? 0;
}
