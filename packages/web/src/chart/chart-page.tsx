export function ChartPage({ patientId }: { patientId: string; tab?: string }) { return <div>{patientId}</div>; }
