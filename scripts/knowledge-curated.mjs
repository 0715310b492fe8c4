// The hand-curated part of Chartroom's interaction knowledge base, read by
// scripts/build-knowledge.mjs. Everything here names drugs by ingredient NAME only: the
// build resolves each name to its RxNorm code through
// ../shared/data/knowledge/ndfrt-rxnorm-ingredients.csv and fails on a name it cannot
// find, so no code is ever typed by hand. Every rule and class names its public source.
// A pharmacist should review these texts before clinical use.

/** Public sources cited by the curated rules. */
export const SOURCES = {
  oncNonInterruptive:
    'Phansalkar S et al. Drug-drug interactions that should be non-interruptive in order to reduce alert fatigue in electronic health records. J Am Med Inform Assoc 2013;20(3):489-493 (ONC list); class pairs as listed in ../shared/data/knowledge/README.md',
  lithiumLabel: 'US FDA-approved labeling, lithium carbonate (DailyMed), section 7 Drug Interactions: NSAIDs, ACE inhibitors, angiotensin II receptor antagonists, diuretics raise serum lithium',
  clozapineLabel: 'US FDA-approved labeling, clozapine (Clozaril, DailyMed), section 7.1: strong CYP1A2 inhibitors (fluvoxamine, ciprofloxacin, enoxacin) - use one third of the clozapine dose; strong CYP3A4 inducers (carbamazepine) - not recommended',
  lamotrigineLabel: 'US FDA-approved labeling, lamotrigine (Lamictal, DailyMed), sections 2.1 and 7: valproate more than doubles lamotrigine concentrations; dosing must be reduced (serious rash risk, boxed warning)',
  carbamazepineLabel: 'US FDA-approved labeling, carbamazepine (Tegretol, DailyMed), section 7 Drug Interactions: CYP3A4 induction lowers levels of hormonal contraceptives and of many antipsychotics and antidepressants',
  lurasidoneLabel: 'US FDA-approved labeling, lurasidone (Latuda, DailyMed), section 4 Contraindications: strong CYP3A4 inducers (e.g. carbamazepine)',
  stJohnsWort: 'US FDA Public Health Advisory, 10 Feb 2000: risk of drug interactions with St John\'s wort (indinavir and other drugs metabolised by CYP3A4; cyclosporine, oral contraceptives, warfarin); NIH NCCIH fact sheet "St. John\'s Wort and Depression"',
  opioidBenzo: 'US FDA Drug Safety Communication, 31 Aug 2016: boxed warning for combined use of opioids and benzodiazepines (profound sedation, respiratory depression, coma, death)',
  metronidazoleLabel: 'US FDA-approved labeling, metronidazole (Flagyl, DailyMed), section 4 Contraindications: use of disulfiram within the last two weeks (psychotic reactions)',
  bupropionLabel: 'US FDA-approved labeling, bupropion (Wellbutrin, DailyMed), section 4 Contraindications: MAO inhibitors (hypertensive reactions), and section 5.3 Seizure',
  naltrexoneLabel: 'US FDA-approved labeling, naltrexone tablets (DailyMed), section 4 Contraindications: patients receiving opioid analgesics or with current physiologic opioid dependence',
  serotoninMaoi:
    'US FDA Drug Safety Communications, 26 Jul 2011 (linezolid) and 26 Jul 2011 (methylene blue): serotonin syndrome with serotonergic psychiatric drugs; MAO inhibitor labeling (phenelzine, tranylcypromine, selegiline) section 4 Contraindications',
  serotoninOpioid:
    'US FDA Drug Safety Communication, 22 Mar 2016: opioids (tramadol, tapentadol, meperidine, methadone, fentanyl) with serotonergic drugs - serotonin syndrome; tramadol labeling section 5 (serotonin syndrome risk)',
  serotoninAdditive:
    'Serotonergic drug list of ../shared/data/knowledge/README.md; FDA-approved labeling of SSRIs and SNRIs, section 5 Warnings: serotonin syndrome with other serotonergic drugs (triptans, TCAs, lithium, buspirone, tryptophan, St John\'s wort, amphetamines)',
  ziprasidoneLabel:
    'US FDA-approved labeling, ziprasidone (Geodon, DailyMed), section 4 Contraindications: drugs that prolong the QT interval (dofetilide, sotalol, quinidine, other class Ia and III antiarrhythmics, thioridazine, chlorpromazine, droperidol, pimozide, moxifloxacin, halofantrine, mefloquine, pentamidine, arsenic trioxide, dolasetron, tacrolimus)',
  quetiapineLabel: 'US FDA-approved labeling, quetiapine (Seroquel, DailyMed), section 5 Warnings, QT prolongation: avoid use with other drugs known to prolong QTc',
  thioridazineLabel: 'US FDA-approved labeling, thioridazine (DailyMed), Contraindications: fluvoxamine, propranolol, pindolol, drugs that inhibit CYP2D6 (fluoxetine, paroxetine) and drugs that prolong QTc',
  pimozideLabel: 'US FDA-approved labeling, sertraline (Zoloft) and citalopram (Celexa), section 4 Contraindications: pimozide; pimozide (Orap) labeling Contraindications',
  valproateLabel: 'US FDA-approved labeling, divalproex (Depakote, DailyMed), section 7 Drug Interactions: carbapenem antibiotics reduce valproate concentrations to subtherapeutic levels (loss of seizure control)',
  warfarinLabel:
    'US FDA-approved labeling, warfarin (Coumadin, DailyMed), section 7 Drug Interactions: NSAIDs, antiplatelet agents and SSRIs/SNRIs increase bleeding risk; CYP2C9 inhibitors (fluconazole, metronidazole, sulfamethoxazole, amiodarone) raise INR',
  pde5Label: 'US FDA-approved labeling, sildenafil (Viagra) and tadalafil (Cialis), section 4 Contraindications: organic nitrates in any form (profound hypotension)',
  digoxinLabel: 'US FDA-approved labeling, digoxin (Lanoxin, DailyMed), section 7 Drug Interactions: amiodarone, verapamil, clarithromycin, dronedarone, quinidine raise digoxin concentrations (reduce digoxin dose)',
  allopurinolLabel: 'US FDA-approved labeling, allopurinol (Zyloprim) and azathioprine (Imuran), Drug Interactions: xanthine-oxidase inhibition - reduce azathioprine/mercaptopurine to one third or one quarter of the dose',
  colchicineLabel: 'US FDA-approved labeling, colchicine (Colcrys, DailyMed), sections 4 and 7: strong CYP3A4 and P-gp inhibitors (clarithromycin, ketoconazole, ritonavir, cyclosporine) - fatal toxicity; contraindicated in renal or hepatic impairment',
  methotrexateLabel: 'US FDA-approved labeling, methotrexate (DailyMed), section 7 Drug Interactions: trimethoprim-sulfamethoxazole increases bone-marrow suppression',
  simvastatinLabel: 'US FDA-approved labeling, simvastatin (Zocor, DailyMed), sections 2 and 7: amlodipine, diltiazem, verapamil, amiodarone - simvastatin dose limits (myopathy)',
  ssriBleeding: 'US FDA-approved labeling of SSRIs and SNRIs (e.g. sertraline, Zoloft), section 5 Warnings, Increased risk of bleeding: NSAIDs, aspirin, warfarin and other anticoagulants add to the risk',
  clopidogrelLabel: 'US FDA-approved labeling, clopidogrel (Plavix, DailyMed), sections 5.1 and 7: avoid omeprazole or esomeprazole (CYP2C19 inhibition reduces the active metabolite and antiplatelet effect)',
  potassiumSparingLabel: 'US FDA-approved labeling, spironolactone (Aldactone) and eplerenone (Inspra), section 7 Drug Interactions: ACE inhibitors, angiotensin receptor blockers and potassium supplements raise the risk of hyperkalemia',
  cnsDepressants: 'US FDA Drug Safety Communication, 19 Dec 2019: serious breathing problems with gabapentin and pregabalin taken with opioids or other CNS depressants',
  allergyPractice:
    'Khan DA et al. Drug allergy: a 2022 practice parameter update. J Allergy Clin Immunol 2022;150(6):1333-1393; cross-reactivity facts as summarised in ../shared/data/knowledge/README.md',
  duplicateTherapy:
    'Chartroom duplicate-therapy screen: two drugs of the same pharmacologic class (class membership from FDA Established Pharmacologic Class in the drugs\' US labeling)',
};

/**
 * Drug classes by ingredient name. `duplicate`: two members at once is flagged as duplicate
 * therapy. `allergyGroup`: an allergy to one member warns on the others.
 */
export const CLASSES = {
  ssri: { name: 'SSRIs', duplicate: true, members: ['citalopram', 'escitalopram', 'fluoxetine', 'fluvoxamine', 'paroxetine', 'sertraline', 'vilazodone'] },
  snri: { name: 'SNRIs', duplicate: true, members: ['venlafaxine', 'desvenlafaxine', 'duloxetine', 'milnacipran'] },
  tca: { name: 'Tricyclic antidepressants', duplicate: true, members: ['amitriptyline', 'clomipramine', 'desipramine', 'doxepin', 'imipramine', 'nortriptyline', 'protriptyline', 'trimipramine'] },
  maoi: {
    name: 'MAO inhibitors (incl. linezolid, methylene blue)',
    duplicate: true,
    members: ['tranylcypromine', 'phenelzine', 'isocarboxazid', 'selegiline', 'rasagiline', 'moclobemide', 'procarbazine', 'linezolid', 'methylene blue'],
  },
  serotonergicOpioid: { name: 'Serotonergic opioids and dextromethorphan', members: ['tramadol', 'tapentadol', 'meperidine', 'methadone', 'fentanyl', 'dextromethorphan'] },
  triptan: { name: 'Triptans', duplicate: true, members: ['sumatriptan', 'zolmitriptan', 'rizatriptan', 'naratriptan', 'eletriptan', 'almotriptan', 'frovatriptan'] },
  serotonergicOther: {
    name: 'Other serotonergic drugs',
    members: ['trazodone', 'nefazodone', 'mirtazapine', 'lithium', 'buspirone', "st. john's wort", 'tryptophan', 'amphetamine', 'dextroamphetamine', 'lisdexamfetamine', 'methamphetamine'],
  },
  nsaid: {
    name: 'NSAIDs',
    duplicate: true,
    members: [
      'ibuprofen', 'naproxen', 'diclofenac', 'meloxicam', 'indomethacin', 'ketorolac', 'ketoprofen', 'piroxicam', 'etodolac', 'nabumetone', 'sulindac', 'oxaprozin',
      'flurbiprofen', 'fenoprofen', 'diflunisal', 'mefenamic acid', 'tolmetin', 'celecoxib',
    ],
  },
  cox2: { name: 'Selective COX-2 inhibitors', members: ['celecoxib'] },
  salicylate: { name: 'Salicylates', members: ['aspirin', 'salsalate', 'diflunisal'] },
  acei: {
    name: 'ACE inhibitors',
    duplicate: true,
    members: ['benazepril', 'captopril', 'enalapril', 'fosinopril', 'lisinopril', 'moexipril', 'perindopril', 'quinapril', 'ramipril', 'trandolapril'],
  },
  arb: { name: 'Angiotensin II receptor blockers', duplicate: true, members: ['losartan', 'valsartan', 'irbesartan', 'candesartan', 'olmesartan', 'telmisartan', 'eprosartan'] },
  thiazide: { name: 'Thiazide and thiazide-like diuretics', duplicate: true, members: ['hydrochlorothiazide', 'chlorthalidone', 'chlorothiazide', 'indapamide', 'metolazone'] },
  loopDiuretic: { name: 'Loop diuretics', duplicate: true, members: ['furosemide', 'bumetanide', 'torsemide', 'ethacrynic acid'] },
  statin: { name: 'HMG-CoA reductase inhibitors (statins)', duplicate: true, members: ['atorvastatin', 'simvastatin', 'lovastatin', 'pravastatin', 'rosuvastatin', 'fluvastatin', 'pitavastatin'] },
  betaBlocker: {
    name: 'Beta-blockers',
    duplicate: true,
    members: ['metoprolol', 'atenolol', 'propranolol', 'carvedilol', 'bisoprolol', 'nadolol', 'nebivolol', 'labetalol', 'sotalol', 'acebutolol', 'pindolol'],
  },
  dhpCcb: { name: 'Dihydropyridine calcium-channel blockers', duplicate: true, members: ['amlodipine', 'nifedipine', 'felodipine', 'nicardipine', 'isradipine', 'nisoldipine'] },
  thyroid: { name: 'Thyroid hormones', duplicate: true, members: ['levothyroxine', 'liothyronine'] },
  calciumSalt: { name: 'Oral calcium salts', members: ['calcium carbonate', 'calcium citrate', 'calcium acetate'] },
  antacid: { name: 'Antacids', members: ['aluminum hydroxide', 'magnesium hydroxide', 'calcium carbonate'] },
  corticosteroid: {
    name: 'Systemic corticosteroids',
    members: ['prednisone', 'prednisolone', 'methylprednisolone', 'dexamethasone', 'hydrocortisone', 'cortisone', 'betamethasone', 'fludrocortisone'],
  },
  macrolideImmunosuppressant: { name: 'Macrolide immunosuppressants', members: ['tacrolimus', 'sirolimus', 'everolimus'] },
  bisphosphonate: { name: 'Bisphosphonates', duplicate: true, members: ['alendronate', 'risedronate', 'ibandronate', 'zoledronic acid'] },
  sulfonylurea: { name: 'Sulfonylureas', duplicate: true, members: ['glipizide', 'glyburide', 'glimepiride', 'tolbutamide', 'chlorpropamide'] },
  anticoagulant: { name: 'Oral anticoagulants', duplicate: true, members: ['warfarin', 'rivaroxaban', 'dabigatran etexilate'] },
  antiplatelet: { name: 'Antiplatelet agents', members: ['aspirin', 'clopidogrel', 'prasugrel', 'ticagrelor'] },
  ppi: { name: 'Proton pump inhibitors', duplicate: true, members: ['omeprazole', 'esomeprazole', 'lansoprazole', 'dexlansoprazole', 'pantoprazole', 'rabeprazole'] },
  azoleAbsorption: { name: 'Azole antifungals needing gastric acid', members: ['ketoconazole', 'itraconazole'] },
  benzodiazepine: {
    name: 'Benzodiazepines',
    duplicate: true,
    members: ['alprazolam', 'clonazepam', 'diazepam', 'lorazepam', 'temazepam', 'chlordiazepoxide', 'clorazepate', 'oxazepam', 'triazolam', 'midazolam'],
  },
  zDrug: { name: 'Non-benzodiazepine hypnotics', duplicate: true, members: ['zolpidem', 'zaleplon', 'eszopiclone'] },
  oralContraceptive: {
    name: 'Hormonal contraceptives',
    members: ['ethinyl estradiol', 'norethindrone', 'levonorgestrel', 'drospirenone', 'norgestimate', 'desogestrel', 'norgestrel', 'mestranol', 'norelgestromin', 'etonogestrel'],
  },
  anticholinesterase: { name: 'Cholinesterase inhibitors', duplicate: true, members: ['donepezil', 'rivastigmine', 'galantamine', 'pyridostigmine', 'neostigmine'] },
  opioid: {
    name: 'Opioids',
    duplicate: true,
    members: ['morphine', 'oxycodone', 'hydrocodone', 'hydromorphone', 'codeine', 'tramadol', 'tapentadol', 'methadone', 'fentanyl', 'meperidine', 'buprenorphine', 'oxymorphone'],
  },
  antipsychotic: {
    name: 'Antipsychotics',
    duplicate: true,
    members: [
      'haloperidol', 'chlorpromazine', 'fluphenazine', 'perphenazine', 'thioridazine', 'pimozide', 'quetiapine', 'olanzapine', 'risperidone', 'aripiprazole', 'ziprasidone',
      'lurasidone', 'clozapine', 'paliperidone', 'asenapine', 'iloperidone',
    ],
  },
  stimulant: {
    name: 'CNS stimulants',
    duplicate: true,
    members: ['methylphenidate', 'dexmethylphenidate', 'amphetamine', 'dextroamphetamine', 'lisdexamfetamine', 'methamphetamine'],
  },
  gabapentinoid: { name: 'Gabapentinoids', duplicate: true, members: ['gabapentin', 'pregabalin'] },
  nitrate: { name: 'Organic nitrates', duplicate: true, members: ['nitroglycerin', 'isosorbide mononitrate', 'isosorbide dinitrate'] },
  pde5: { name: 'PDE-5 inhibitors', duplicate: true, members: ['sildenafil', 'tadalafil', 'vardenafil'] },
  potassiumSparing: { name: 'Potassium-sparing diuretics', duplicate: true, members: ['spironolactone', 'eplerenone', 'amiloride', 'triamterene'] },
  cyp1a2StrongInhibitor: { name: 'Strong CYP1A2 inhibitors', members: ['fluvoxamine', 'ciprofloxacin', 'enoxacin'] },
  carbapenem: { name: 'Carbapenems', allergyGroup: true, members: ['imipenem', 'meropenem', 'ertapenem', 'doripenem'] },
  penicillin: {
    name: 'Penicillins',
    allergyGroup: true,
    members: ['penicillin', 'penicillin g', 'penicillin v', 'amoxicillin', 'ampicillin', 'dicloxacillin', 'nafcillin', 'oxacillin', 'piperacillin', 'ticarcillin'],
  },
  cephalosporin: {
    name: 'Cephalosporins',
    allergyGroup: true,
    members: [
      'cephalexin', 'cefaclor', 'cephradine', 'cefadroxil', 'cefprozil', 'cefazolin', 'ceftriaxone', 'cefotaxime', 'cefepime', 'ceftazidime', 'cefuroxime', 'cefdinir',
      'cefpodoxime proxetil', 'cefixime', 'cefoxitin',
    ],
  },
  cephalosporinAmpicillinLike: { name: 'Cephalosporins with an ampicillin-like R1 side chain', members: ['cephalexin', 'cefaclor', 'cephradine'] },
  cephalosporinAmoxicillinLike: { name: 'Cephalosporins with an amoxicillin-like R1 side chain', members: ['cefadroxil', 'cefprozil'] },
  cephalosporinDissimilar: {
    name: 'Cephalosporins with dissimilar side chains',
    members: ['cefazolin', 'ceftriaxone', 'cefotaxime', 'cefepime', 'ceftazidime', 'cefuroxime', 'cefdinir', 'cefpodoxime proxetil', 'cefixime', 'cefoxitin'],
  },
  sulfonamideAntibiotic: { name: 'Sulfonamide antibiotics', allergyGroup: true, members: ['sulfamethoxazole', 'sulfadiazine', 'sulfisoxazole'] },
  fluoroquinolone: { name: 'Fluoroquinolones', allergyGroup: true, duplicate: true, members: ['ciprofloxacin', 'levofloxacin', 'moxifloxacin', 'ofloxacin', 'norfloxacin'] },
  macrolide: { name: 'Macrolide antibiotics', allergyGroup: true, members: ['azithromycin', 'clarithromycin', 'erythromycin'] },
  tetracycline: { name: 'Tetracyclines', allergyGroup: true, members: ['doxycycline', 'minocycline', 'tetracycline'] },
  nsaidCox1: {
    name: 'COX-1 inhibiting NSAIDs (cross-intolerance)',
    allergyGroup: true,
    members: [
      'aspirin', 'ibuprofen', 'naproxen', 'diclofenac', 'meloxicam', 'indomethacin', 'ketorolac', 'ketoprofen', 'piroxicam', 'etodolac', 'nabumetone', 'sulindac',
      'oxaprozin', 'flurbiprofen', 'fenoprofen', 'diflunisal', 'mefenamic acid', 'tolmetin',
    ],
  },
  aromaticAnticonvulsant: {
    name: 'Aromatic anticonvulsants',
    allergyGroup: true,
    members: ['carbamazepine', 'oxcarbazepine', 'phenytoin', 'fosphenytoin', 'phenobarbital', 'lamotrigine', 'primidone'],
  },
  valproate: { name: 'Valproate', members: ['valproic acid'] },
};

/** The serotonergic drugs as one list of class ids (README "Serotonergic drugs"). */
export const SEROTONERGIC = ['ssri', 'snri', 'tca', 'maoi', 'serotonergicOpioid', 'triptan', 'serotonergicOther'];

/** Drugs that QT-prolonging rules pair with, beyond the ONC known-risk list (by name, from the ziprasidone label). */
const ZIPRASIDONE_QT = [
  'dofetilide', 'sotalol', 'quinidine', 'disopyramide', 'procainamide', 'amiodarone', 'ibutilide', 'dronedarone', 'thioridazine', 'chlorpromazine', 'droperidol', 'pimozide',
  'moxifloxacin', 'halofantrine', 'mefloquine', 'pentamidine', 'arsenic trioxide', 'dolasetron', 'tacrolimus',
];

/**
 * Curated drug-drug rules. Sides are ingredient names or `class:<id>`; `qt:known` is the ONC
 * known-risk QT list read from the shared README. `family`: for one pair, only the most
 * severe rule of a family is reported (serotonin, qt).
 */
export const DDI_RULES = [
  // Psychiatry.
  { id: 'psy-lithium-nsaid', severity: 'major', a: ['lithium'], b: ['class:nsaid'], title: 'Lithium + NSAID', explanation: 'NSAIDs reduce renal lithium clearance: serum lithium rises (often 20-60%), with risk of toxicity (tremor, confusion, ataxia). Avoid, or check lithium level within 5 days and watch for toxicity.', source: 'lithiumLabel' },
  { id: 'psy-lithium-acei', severity: 'major', a: ['lithium'], b: ['class:acei'], title: 'Lithium + ACE inhibitor', explanation: 'ACE inhibitors reduce lithium excretion: lithium levels rise and toxicity can develop over weeks. Monitor lithium levels closely when starting or changing the dose.', source: 'lithiumLabel' },
  { id: 'psy-lithium-arb', severity: 'major', a: ['lithium'], b: ['class:arb'], title: 'Lithium + angiotensin receptor blocker', explanation: 'ARBs reduce lithium excretion: lithium levels rise. Monitor lithium levels closely.', source: 'lithiumLabel' },
  { id: 'psy-lithium-thiazide', severity: 'major', a: ['lithium'], b: ['class:thiazide'], title: 'Lithium + thiazide diuretic', explanation: 'Thiazides increase proximal sodium and lithium reabsorption: lithium levels rise by about 25-40%. Reduce lithium dose or avoid; check levels.', source: 'lithiumLabel' },
  { id: 'psy-clozapine-cyp1a2', severity: 'major', a: ['clozapine'], b: ['class:cyp1a2StrongInhibitor'], title: 'Clozapine + strong CYP1A2 inhibitor', explanation: 'Strong CYP1A2 inhibition raises clozapine levels several-fold (sedation, hypotension, seizures). Use one third of the clozapine dose and monitor levels.', source: 'clozapineLabel' },
  { id: 'psy-clozapine-carbamazepine', severity: 'major', a: ['clozapine'], b: ['carbamazepine'], title: 'Clozapine + carbamazepine', explanation: 'Carbamazepine induces clozapine metabolism (loss of effect) and adds bone-marrow toxicity (agranulocytosis). Concomitant use is not recommended.', source: 'clozapineLabel' },
  { id: 'psy-valproate-lamotrigine', severity: 'major', a: ['class:valproate'], b: ['lamotrigine'], title: 'Valproate + lamotrigine', explanation: 'Valproate inhibits lamotrigine glucuronidation: lamotrigine levels roughly double, raising the risk of serious rash (SJS/TEN). Lamotrigine doses must be halved and titrated slowly.', source: 'lamotrigineLabel' },
  { id: 'psy-carbamazepine-contraceptive', severity: 'major', a: ['carbamazepine'], b: ['class:oralContraceptive'], title: 'Carbamazepine + hormonal contraceptive', explanation: 'Carbamazepine induces CYP3A4: hormonal contraceptive levels fall (breakthrough bleeding, contraceptive failure). Use a non-hormonal or IUD method.', source: 'carbamazepineLabel' },
  { id: 'psy-carbamazepine-psychotropic', severity: 'major', a: ['carbamazepine'], b: ['quetiapine', 'aripiprazole', 'haloperidol', 'risperidone', 'olanzapine', 'bupropion', 'trazodone', 'citalopram', 'escitalopram', 'sertraline', 'mirtazapine'], title: 'Carbamazepine + antipsychotic or antidepressant', explanation: 'Carbamazepine induction lowers levels of many antipsychotics and antidepressants (e.g. quetiapine exposure falls about 80%): loss of effect. Adjust the dose or choose another drug.', source: 'carbamazepineLabel' },
  { id: 'psy-lurasidone-carbamazepine', severity: 'contraindicated', a: ['lurasidone'], b: ['carbamazepine'], title: 'Lurasidone + carbamazepine', explanation: 'Strong CYP3A4 inducers cut lurasidone exposure by about 80%; the combination is contraindicated.', source: 'lurasidoneLabel' },
  { id: 'psy-stjohnswort-inducer', severity: 'major', a: ["st. john's wort"], b: ['class:oralContraceptive', 'warfarin', 'cyclosporine', 'tacrolimus', 'digoxin'], title: "St John's wort + drug lowered by induction", explanation: "St John's wort induces CYP3A4 and P-glycoprotein: levels of contraceptives, warfarin, cyclosporine, tacrolimus and digoxin fall (contraceptive failure, clotting, transplant rejection).", source: 'stJohnsWort' },
  { id: 'psy-opioid-benzodiazepine', severity: 'major', a: ['class:opioid'], b: ['class:benzodiazepine', 'class:zDrug'], title: 'Opioid + benzodiazepine or hypnotic', explanation: 'Additive CNS and respiratory depression (FDA boxed warning): profound sedation, respiratory depression, coma and death. Prescribe together only when alternatives are inadequate, at the lowest doses.', source: 'opioidBenzo' },
  { id: 'psy-opioid-gabapentinoid', severity: 'moderate', a: ['class:opioid'], b: ['class:gabapentinoid'], title: 'Opioid + gabapentin or pregabalin', explanation: 'Additive respiratory depression, especially in the elderly or with lung disease. Start the gabapentinoid low and monitor.', source: 'cnsDepressants' },
  { id: 'psy-disulfiram-metronidazole', severity: 'contraindicated', a: ['disulfiram'], b: ['metronidazole'], title: 'Disulfiram + metronidazole', explanation: 'Psychotic reactions and confusion have been reported; metronidazole is contraindicated within two weeks of disulfiram.', source: 'metronidazoleLabel' },
  { id: 'psy-bupropion-maoi', severity: 'contraindicated', a: ['bupropion'], b: ['class:maoi'], title: 'Bupropion + MAO inhibitor', explanation: 'Risk of hypertensive reactions; at least 14 days must separate stopping an MAOI and starting bupropion.', source: 'bupropionLabel' },
  { id: 'psy-naltrexone-opioid', severity: 'contraindicated', a: ['naltrexone'], b: ['class:opioid'], title: 'Naltrexone + opioid', explanation: 'Naltrexone blocks opioid analgesia and precipitates withdrawal in opioid-dependent patients; contraindicated with opioid analgesics.', source: 'naltrexoneLabel' },
  { id: 'psy-thioridazine-cyp2d6', severity: 'contraindicated', a: ['thioridazine'], b: ['fluoxetine', 'paroxetine', 'fluvoxamine', 'propranolol', 'pindolol'], title: 'Thioridazine + CYP2D6 inhibitor', explanation: 'Raised thioridazine levels prolong QTc: torsades de pointes and sudden death. Contraindicated.', source: 'thioridazineLabel' },
  { id: 'psy-pimozide-ssri', severity: 'contraindicated', a: ['pimozide'], b: ['sertraline', 'citalopram', 'escitalopram', 'fluoxetine', 'paroxetine', 'fluvoxamine'], title: 'Pimozide + SSRI', explanation: 'Raised pimozide levels and additive QTc prolongation; contraindicated in the SSRI labeling.', source: 'pimozideLabel' },
  { id: 'psy-valproate-carbapenem', severity: 'major', a: ['class:valproate'], b: ['class:carbapenem'], title: 'Valproate + carbapenem', explanation: 'Carbapenems lower valproate levels to subtherapeutic within a day (breakthrough seizures); increasing the valproate dose does not help. Use another antibiotic.', source: 'valproateLabel' },
  // Serotonin syndrome (one family: only the most severe is reported for a pair).
  { id: 'sero-maoi', family: 'serotonin', severity: 'contraindicated', a: ['class:maoi'], b: ['class:ssri', 'class:snri', 'class:tca', 'class:serotonergicOpioid', 'class:triptan', 'class:serotonergicOther'], title: 'MAO inhibitor + serotonergic drug', explanation: 'Serotonin syndrome (hyperthermia, rigidity, autonomic instability, death) or hypertensive crisis. Linezolid and methylene blue are MAO inhibitors too. Allow a washout (2 weeks; 5 weeks after fluoxetine).', source: 'serotoninMaoi' },
  { id: 'sero-opioid', family: 'serotonin', severity: 'major', a: ['class:ssri', 'class:snri', 'class:tca', 'mirtazapine', 'trazodone', "st. john's wort"], b: ['class:serotonergicOpioid'], title: 'Serotonergic antidepressant + serotonergic opioid', explanation: 'Tramadol, tapentadol, meperidine, methadone, fentanyl and dextromethorphan add serotonergic activity: serotonin syndrome (agitation, sweating, tremor, clonus, hyperthermia). Tramadol levels also rise with CYP2D6-inhibiting SSRIs. Prefer a non-serotonergic analgesic; if used, warn and monitor.', source: 'serotoninOpioid' },
  { id: 'sero-ssri-stjohnswort', family: 'serotonin', severity: 'major', a: ['class:ssri', 'class:snri'], b: ["st. john's wort"], title: "SSRI/SNRI + St John's wort", explanation: "St John's wort is serotonergic: serotonin syndrome has been reported with SSRIs and SNRIs. Avoid the combination.", source: 'stJohnsWort' },
  { id: 'sero-additive', family: 'serotonin', severity: 'moderate', a: SEROTONERGIC.map((c) => `class:${c}`), b: SEROTONERGIC.map((c) => `class:${c}`), title: 'Two serotonergic drugs', explanation: 'Additive serotonergic effect: risk of serotonin syndrome, higher with dose increases. Explain the warning signs (agitation, tremor, sweating, diarrhoea, fever) and monitor.', source: 'serotoninAdditive' },
  // QT prolongation beyond the ONC known-risk pairs.
  { id: 'qt-ziprasidone', family: 'qt', severity: 'contraindicated', a: ['ziprasidone'], b: ['qt:known', ...ZIPRASIDONE_QT], title: 'Ziprasidone + QT-prolonging drug', explanation: 'Additive QTc prolongation: torsades de pointes and sudden death. Contraindicated in the ziprasidone labeling.', source: 'ziprasidoneLabel' },
  { id: 'qt-quetiapine', family: 'qt', severity: 'major', a: ['quetiapine'], b: ['qt:known'], title: 'Quetiapine + QT-prolonging drug', explanation: 'Quetiapine prolongs QTc; avoid use with other drugs known to prolong QTc (torsades risk), especially with hypokalaemia, bradycardia or congenital long QT.', source: 'quetiapineLabel' },
  // Primary care.
  { id: 'pc-warfarin-nsaid', severity: 'major', a: ['class:anticoagulant'], b: ['class:nsaid', 'aspirin', 'clopidogrel', 'prasugrel', 'ticagrelor'], title: 'Anticoagulant + NSAID or antiplatelet', explanation: 'Additive bleeding risk (gastrointestinal and intracranial) and, for NSAIDs, gastric mucosal injury. Avoid, or add gastroprotection and monitor closely.', source: 'warfarinLabel' },
  { id: 'pc-warfarin-cyp2c9', severity: 'major', a: ['warfarin'], b: ['fluconazole', 'metronidazole', 'sulfamethoxazole', 'amiodarone', 'miconazole', 'voriconazole'], title: 'Warfarin + CYP2C9 inhibitor', explanation: 'Inhibited warfarin metabolism: INR rises, bleeding. Reduce the warfarin dose and check INR within 3-5 days.', source: 'warfarinLabel' },
  { id: 'pc-warfarin-ssri', severity: 'moderate', a: ['warfarin'], b: ['class:ssri', 'class:snri'], title: 'Warfarin + SSRI/SNRI', explanation: 'Serotonergic antidepressants impair platelet function: more bleeding with warfarin. Monitor INR and for bleeding.', source: 'warfarinLabel' },
  { id: 'pc-ssri-nsaid', severity: 'moderate', a: ['class:ssri', 'class:snri'], b: ['class:nsaid', 'aspirin'], title: 'SSRI/SNRI + NSAID or aspirin', explanation: 'Serotonergic antidepressants impair platelet aggregation; with NSAIDs or aspirin the risk of gastrointestinal bleeding rises several-fold. Consider a proton pump inhibitor or another analgesic.', source: 'ssriBleeding' },
  { id: 'pc-clopidogrel-omeprazole', severity: 'major', a: ['clopidogrel'], b: ['omeprazole', 'esomeprazole'], title: 'Clopidogrel + omeprazole/esomeprazole', explanation: 'CYP2C19 inhibition reduces clopidogrel activation and its antiplatelet effect. Avoid; use pantoprazole or an H2 blocker if acid suppression is needed.', source: 'clopidogrelLabel' },
  { id: 'pc-potassium-sparing-raas', severity: 'moderate', a: ['class:potassiumSparing'], b: ['class:acei', 'class:arb', 'potassium chloride'], title: 'Potassium-sparing diuretic + ACE inhibitor, ARB or potassium', explanation: 'Additive potassium retention: hyperkalemia, especially with renal impairment or diabetes. Check potassium and creatinine within a week of starting and periodically.', source: 'potassiumSparingLabel' },
  { id: 'pc-pde5-nitrate', severity: 'contraindicated', a: ['class:pde5'], b: ['class:nitrate'], title: 'PDE-5 inhibitor + nitrate', explanation: 'Profound, possibly fatal hypotension. Contraindicated.', source: 'pde5Label' },
  { id: 'pc-digoxin-raised', severity: 'major', a: ['digoxin'], b: ['amiodarone', 'verapamil', 'clarithromycin', 'dronedarone', 'quinidine'], title: 'Digoxin + drug that raises digoxin', explanation: 'Digoxin levels rise (often doubling): toxicity (nausea, arrhythmias, visual change). Reduce the digoxin dose by about half and check levels.', source: 'digoxinLabel' },
  { id: 'pc-allopurinol-thiopurine', severity: 'major', a: ['allopurinol'], b: ['azathioprine', 'mercaptopurine'], title: 'Allopurinol + thiopurine', explanation: 'Xanthine-oxidase inhibition raises thiopurine levels: severe bone-marrow suppression. Reduce the thiopurine to a third or a quarter of the dose, or avoid.', source: 'allopurinolLabel' },
  { id: 'pc-colchicine-cyp3a4', severity: 'major', a: ['colchicine'], b: ['clarithromycin', 'ketoconazole', 'itraconazole', 'ritonavir', 'cyclosporine', 'verapamil', 'diltiazem'], title: 'Colchicine + CYP3A4/P-gp inhibitor', explanation: 'Colchicine exposure rises: fatal colchicine toxicity reported. Reduce the dose; contraindicated with renal or hepatic impairment.', source: 'colchicineLabel' },
  { id: 'pc-methotrexate-tmp-smx', severity: 'major', a: ['methotrexate'], b: ['sulfamethoxazole', 'trimethoprim'], title: 'Methotrexate + trimethoprim-sulfamethoxazole', explanation: 'Additive antifolate effect and reduced methotrexate clearance: pancytopenia. Avoid.', source: 'methotrexateLabel' },
  { id: 'pc-simvastatin-dose-cap', severity: 'moderate', a: ['simvastatin'], b: ['amlodipine', 'ranolazine'], title: 'Simvastatin + amlodipine', explanation: 'Simvastatin exposure rises: myopathy risk. Do not exceed simvastatin 20 mg daily.', source: 'simvastatinLabel' },
];

/**
 * The ONC non-interruptive class pairs (README "Lower-priority pairs"), severity info. Sides
 * are ingredient names or class ids.
 */
export const ONC_NON_INTERRUPTIVE = [
  ['ACE inhibitor + salicylate', ['class:acei'], ['class:salicylate']],
  ['Niacin + statin', ['niacin'], ['class:statin']],
  ['Beta-blocker + SSRI', ['class:betaBlocker'], ['class:ssri']],
  ['Thiazide + ACE inhibitor', ['class:thiazide'], ['class:acei']],
  ['Thyroid hormone + calcium salt', ['class:thyroid'], ['class:calciumSalt']],
  ['Thyroid hormone + statin', ['class:thyroid'], ['class:statin']],
  ['Thiazide + NSAID', ['class:thiazide'], ['class:nsaid']],
  ['Beta-blocker + thyroid hormone', ['class:betaBlocker'], ['class:thyroid']],
  ['Macrolide immunosuppressant + corticosteroid', ['class:macrolideImmunosuppressant'], ['class:corticosteroid']],
  ['Antacid + oral corticosteroid', ['class:antacid'], ['class:corticosteroid']],
  ['Bisphosphonate + calcium salt', ['class:bisphosphonate'], ['class:calciumSalt']],
  ['Folic acid + methotrexate', ['folic acid'], ['methotrexate']],
  ['Sulfonylurea + ACE inhibitor', ['class:sulfonylurea'], ['class:acei']],
  ['Anticoagulant + corticosteroid', ['class:anticoagulant'], ['class:corticosteroid']],
  ['Anticoagulant + acetaminophen', ['class:anticoagulant'], ['acetaminophen']],
  ['Anticoagulant + PPI', ['class:anticoagulant'], ['class:ppi']],
  ['PPI + imidazole antifungal', ['class:ppi'], ['class:azoleAbsorption']],
  ['Beta-blocker + oral calcium salt', ['class:betaBlocker'], ['class:calciumSalt']],
  ['ACE inhibitor + ARB', ['class:acei'], ['class:arb']],
  ['Anticoagulant + statin', ['class:anticoagulant'], ['class:statin']],
  ['Omeprazole + benzodiazepine', ['omeprazole'], ['class:benzodiazepine']],
  ['Anticoagulant + vitamin E', ['class:anticoagulant'], ['vitamin e']],
  ['NSAID + beta-blocker', ['class:nsaid'], ['class:betaBlocker']],
  ['Clopidogrel + salicylate', ['clopidogrel'], ['class:salicylate']],
  ['Oral contraceptive + corticosteroid', ['class:oralContraceptive'], ['class:corticosteroid']],
  ['Beta-blocker + dihydropyridine calcium-channel blocker', ['class:betaBlocker'], ['class:dhpCcb']],
  ['Corticosteroid + anticholinesterase', ['class:corticosteroid'], ['class:anticholinesterase']],
  ['ACE inhibitor + NSAID', ['class:acei'], ['class:nsaid']],
];

/**
 * Cross-sensitivity rules: an allergy to a drug in `allergen` warns when prescribing a drug
 * in `drug` (same-ingredient and same-allergy-group alerts are generated by the build).
 */
export const ALLERGY_RULES = [
  { id: 'allergy-penicillin-cephalosporin-similar', severity: 'moderate', allergen: ['class:penicillin'], drug: ['class:cephalosporinAmpicillinLike', 'class:cephalosporinAmoxicillinLike'], title: 'Penicillin allergy: cephalosporin with a similar side chain', explanation: 'This cephalosporin shares an R1 side chain with ampicillin/amoxicillin: cross-reactivity is higher than the overall 1-2%. Prefer a cephalosporin with a dissimilar side chain, or give under observation.' },
  { id: 'allergy-penicillin-cephalosporin-dissimilar', severity: 'info', allergen: ['class:penicillin'], drug: ['class:cephalosporinDissimilar'], title: 'Penicillin allergy: cephalosporin with a dissimilar side chain', explanation: 'Cross-reactivity with a dissimilar R1 side chain is low (about 1% or less); usually given without testing unless the reaction was severe (anaphylaxis, SJS/TEN).' },
  { id: 'allergy-penicillin-carbapenem', severity: 'info', allergen: ['class:penicillin'], drug: ['class:carbapenem'], title: 'Penicillin allergy: carbapenem', explanation: 'Cross-reactivity between penicillins and carbapenems is under 1%.' },
  { id: 'allergy-cephalosporin-penicillin-similar', severity: 'moderate', allergen: ['class:cephalosporinAmpicillinLike', 'class:cephalosporinAmoxicillinLike'], drug: ['ampicillin', 'amoxicillin'], title: 'Cephalosporin allergy: penicillin with the same side chain', explanation: 'Ampicillin/amoxicillin share the R1 side chain of this cephalosporin: cross-reactivity is likely.' },
  { id: 'allergy-ceftazidime-aztreonam', severity: 'major', allergen: ['ceftazidime', 'aztreonam'], drug: ['ceftazidime', 'aztreonam'], title: 'Ceftazidime / aztreonam cross-reactivity', explanation: 'Ceftazidime and aztreonam have an identical R1 side chain: cross-reactivity is expected.' },
  { id: 'allergy-nsaid-cox2', severity: 'info', allergen: ['class:nsaidCox1'], drug: ['class:cox2'], title: 'NSAID intolerance: selective COX-2 inhibitor', explanation: 'Selective COX-2 inhibitors are usually tolerated in NSAID-exacerbated respiratory disease and COX-1 cross-intolerance.' },
];

/**
 * Drugs the list must offer besides the ones named above and in the shared data: common
 * primary-care and psychiatric drugs (by name).
 */
export const COMMON_DRUGS = [
  'metformin', 'glipizide', 'sitagliptin', 'pioglitazone', 'albuterol', 'fluticasone', 'budesonide', 'montelukast', 'tiotropium', 'cetirizine', 'loratadine', 'fexofenadine',
  'diphenhydramine', 'hydroxyzine', 'acetaminophen', 'allopurinol', 'colchicine', 'tamsulosin', 'finasteride', 'nitrofurantoin', 'trimethoprim', 'metronidazole',
  'cyclobenzaprine', 'famotidine', 'ranitidine', 'prazosin', 'clonidine', 'guanfacine', 'naltrexone', 'disulfiram', 'acamprosate', 'naloxone', 'varenicline', 'bupropion',
  'topiramate', 'carbamazepine', 'oxcarbazepine', 'lamotrigine', 'levetiracetam', 'benztropine', 'ramelteon', 'doxylamine', 'modafinil', 'atomoxetine', 'digoxin',
  'spironolactone', 'potassium chloride', 'cholecalciferol', 'ferrous sulfate', 'cyanocobalamin', 'medroxyprogesterone', 'estradiol', 'hydroxychloroquine', 'azathioprine',
  'metoclopramide', 'promethazine', 'prochlorperazine', 'ondansetron', 'clindamycin', 'cyclosporine', 'verapamil', 'diltiazem', 'hydralazine', 'doxazosin', 'terazosin',
  'oseltamivir', 'valacyclovir', 'acyclovir', 'fluconazole', 'terbinafine', 'mupirocin', 'triamcinolone', 'insulin', 'aztreonam',
  'sumatriptan', 'amiodarone', 'ranolazine', 'niacin', 'folic acid', 'vitamin e', 'methotrexate', 'glyburide',
];

/** Name synonyms: a name used above or in product texts → the name NDF-RT files the ingredient under. */
export const NAME_SYNONYMS = {
  valproate: 'valproic acid',
  divalproex: 'valproic acid',
  'alendronic acid': 'alendronate',
  'acetylsalicylic acid': 'aspirin',
  paracetamol: 'acetaminophen',
  'st john\'s wort': "st. john's wort",
  'dabigatran': 'dabigatran etexilate',
  'mefenamate': 'mefenamic acid',
  'ethacrynate': 'ethacrynic acid',
  'amiodarone hydrocholoride': 'amiodarone',
  moclobamide: 'moclobemide', // spelling in onc_high_priority_ddi_expanded.csv
  "st john’s wort": "st. john's wort",
};

/** Salt and ester words stripped from a name to find its base ingredient (only when the base is in the list). */
export const SALT_WORDS = [
  'hydrochloride', 'hcl', 'sodium', 'potassium', 'carbonate', 'citrate', 'sulfate', 'succinate', 'tartrate', 'bitartrate', 'maleate', 'mesylate', 'dimesylate', 'besylate',
  'fumarate', 'acetate', 'phosphate', 'bromide', 'hydrobromide', 'hyclate', 'monohydrate', 'dihydrate', 'trihydrate', 'anhydrous', 'hemihydrate', 'dipropionate',
  'propionate', 'valerate', 'xinafoate', 'furoate', 'disodium', 'lactate', 'gluconate', 'tromethamine', 'decanoate', 'palmitate', 'pamoate', 'benzoate', 'hydrate',
  'magnesium', 'calcium', 'oxalate', 'napsylate', 'medoxomil', 'cilexetil', 'trihydrochloride', 'dihydrochloride', 'er', 'sr', 'xl', 'cr',
];
