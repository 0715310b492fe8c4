export function TodayPage() { return <div>Today</div>; }
