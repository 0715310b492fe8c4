export function ResultsInboxPage() { return <div>Results</div>; }
