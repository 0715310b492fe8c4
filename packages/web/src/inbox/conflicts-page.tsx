export function ConflictsPage() { return <div>Conflicts</div>; }
