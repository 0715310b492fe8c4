/** The sig builder's parts and the words and FHIR Dosage they make. */
export interface Sig {
  dose: string;
  unit: string;
  route: string;
  frequency: string;
  days: number;
  quantity: number;
  refills: number;
  asNeeded: boolean;
}

/** Frequencies offered, with their FHIR timing (https://hl7.org/fhir/R4/datatypes.html#Timing). */
export const FREQUENCIES: Record<string, { words: string; frequency: number; period: number; periodUnit: 'd' | 'h' | 'wk' }> = {
  qd: { words: 'once daily', frequency: 1, period: 1, periodUnit: 'd' },
  bid: { words: 'twice daily', frequency: 2, period: 1, periodUnit: 'd' },
  tid: { words: 'three times daily', frequency: 3, period: 1, periodUnit: 'd' },
  qid: { words: 'four times daily', frequency: 4, period: 1, periodUnit: 'd' },
  qhs: { words: 'at bedtime', frequency: 1, period: 1, periodUnit: 'd' },
  q6h: { words: 'every 6 hours', frequency: 1, period: 6, periodUnit: 'h' },
  qwk: { words: 'once weekly', frequency: 1, period: 1, periodUnit: 'wk' },
};

export const ROUTES: Record<string, string> = { oral: 'by mouth', sublingual: 'under the tongue', topical: 'on the skin', inhaled: 'by inhalation', im: 'into the muscle', sc: 'under the skin' };

/** "Take 1 tablet by mouth twice daily for 30 days". */
export function sigText(s: Sig): string {
  const f = FREQUENCIES[s.frequency];
  return `Take ${s.dose} ${s.unit} ${ROUTES[s.route] ?? s.route} ${f?.words ?? s.frequency}${s.asNeeded ? ' as needed' : ''}${s.days ? ` for ${s.days} days` : ''}`;
}

/** The FHIR dosage of a sig. */
export function sigDosage(s: Sig): Record<string, unknown> {
  const f = FREQUENCIES[s.frequency];
  const dose = Number(s.dose);
  return {
    text: sigText(s),
    ...(f ? { timing: { repeat: { frequency: f.frequency, period: f.period, periodUnit: f.periodUnit, ...(s.frequency === 'qhs' ? { when: ['HS'] } : {}) } } } : {}),
    ...(s.asNeeded ? { asNeededBoolean: true } : {}),
    route: { text: ROUTES[s.route] ?? s.route },
    ...(Number.isFinite(dose) ? { doseAndRate: [{ doseQuantity: { value: dose, unit: s.unit } }] } : {}),
  };
}
