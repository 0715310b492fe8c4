/** `chartroom demo` (placeholder until the demo generator lands). */
export async function runDemo(_data: string, _opts: { patients: string | undefined; seed: string | undefined; store: string | undefined }): Promise<number> {
  console.log('chartroom demo: not implemented yet');
  return 0;
}
