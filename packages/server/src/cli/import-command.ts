/** `chartroom import` (placeholder until the importer lands). */
export async function runImport(_data: string, _paths: string[], _store?: string): Promise<number> {
  console.error('chartroom import: not implemented yet');
  return 1;
}
