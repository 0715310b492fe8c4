export function AdminPage() { return <div>Admin</div>; }
