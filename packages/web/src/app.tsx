/** The app: session gate, then the shell with the screen for the current path. */
import { Center, Loader, Alert, Button } from '@mantine/core';
import { Suspense, lazy, useEffect } from 'react';
import { AccountSetupPage } from './login/account-setup-page';
import { LoginPage } from './login/login-page';
import { useSession } from './login/session.resource';
import { ChartPage } from './chart/chart-page';
import { Shell } from './shell/app-shell';
import { matchPath, navigate, usePath } from './shell/router';
import { TodayPage } from './today/today-page';
import { Empty, Loading } from './shell/view-states';

// Screens outside the daily path are separate chunks: the first load carries Today, search and the chart.
const AdminPage = lazy(() => import('./admin/admin-page').then((m) => ({ default: m.AdminPage })));
const ConflictsPage = lazy(() => import('./inbox/conflicts-page').then((m) => ({ default: m.ConflictsPage })));
const ResultsInboxPage = lazy(() => import('./labs/results-inbox-page').then((m) => ({ default: m.ResultsInboxPage })));

function Screen({ path }: { path: string }) {
  return (
    <Suspense fallback={<Loading what="the screen" />}>
      <Route path={path} />
    </Suspense>
  );
}

function Route({ path }: { path: string }) {
  let m: Record<string, string> | undefined;
  if ((m = matchPath('/patients/:id/:tab?', path))) return <ChartPage key={m.id} patientId={m.id ?? ''} tab={m.tab} />;
  if (matchPath('/today', path)) return <TodayPage />;
  if (matchPath('/results', path)) return <ResultsInboxPage />;
  if (matchPath('/conflicts', path)) return <ConflictsPage />;
  if (matchPath('/admin', path)) return <AdminPage />;
  return <Empty>There is no screen at {path}.</Empty>;
}

/** The root component. */
export function App() {
  const session = useSession();
  const path = usePath();
  const s = session.state;
  useEffect(() => {
    if ((s.kind === 'signed-in' || s.kind === 'open') && (path === '/' || path === '/login')) navigate('/today', { replace: true });
  }, [s.kind, path]);
  switch (s.kind) {
    case 'checking':
      return (
        <Center h="100vh" role="status" aria-label="Starting">
          <Loader />
        </Center>
      );
    case 'unreachable':
      return (
        <Center h="100vh">
          <Alert color="red" title="Cannot reach this Chartroom node" maw={480}>
            {s.message}
            <div>
              <Button mt="sm" onClick={session.recheck}>
                Try again
              </Button>
            </div>
          </Alert>
        </Center>
      );
    case 'signed-out':
      return <LoginPage reason={s.reason} />;
    case 'signed-in':
      if (s.restriction) return <AccountSetupPage restriction={s.restriction} />;
      return (
        <Shell user={s.user} open={false} locked={s.locked}>
          <Screen path={path} />
        </Shell>
      );
    case 'open':
      return (
        <Shell user={s.user} open locked={false}>
          <Screen path={path} />
        </Shell>
      );
    default: {
      const never: never = s;
      throw new Error(`unknown session state ${JSON.stringify(never)}`);
    }
  }
}
