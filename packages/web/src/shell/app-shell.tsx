/** The frame of every screen: header with navigation, patient search and user menu; the status bar below. */
import { useCallback, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { Alert, AppShell, Button, Group, Kbd, Menu, Text, UnstyledButton } from '@mantine/core';
import { useSession } from '../login/session.resource';
import type { SessionUser } from '../login/session.resource';
import { PatientSearch } from '../search/patient-search';
import { LockScreen } from './lock-screen';
import { navFor } from './nav-items';
import { navigate, usePath } from './router';
import { StatusBar } from './status-bar';
import { useIdleLock } from './use-idle-lock';

function isTyping(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** The app frame around the current screen. */
export function Shell({ user, open, locked, children }: { user: SessionUser; open: boolean; locked: boolean; children: ReactNode }) {
  const session = useSession();
  const path = usePath();
  const [searching, setSearching] = useState(false);
  const lock = useCallback(() => session.lock(), [session]);
  useIdleLock(!open && !locked, lock);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (locked) return;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setSearching(true);
      } else if (e.key === '/' && !isTyping(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        setSearching(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [locked]);

  return (
    <>
      <AppShell header={{ height: 56 }} footer={{ height: 36 }} padding="md" inert={locked || undefined} aria-hidden={locked || undefined}>
        <AppShell.Header className="app-header">
          <Group h="100%" px="md" justify="space-between" wrap="nowrap">
            <Group gap="lg" wrap="nowrap">
              <UnstyledButton onClick={() => navigate('/today')} className="brand" aria-label="Chartroom, go to Today">
                Chartroom
              </UnstyledButton>
              <nav aria-label="Main">
                <Group gap={4} wrap="nowrap">
                  {navFor(user.role).map((item) => (
                    <a
                      key={item.path}
                      href={item.path}
                      className="nav-link"
                      aria-current={path.startsWith(item.path) ? 'page' : undefined}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(item.path);
                      }}
                    >
                      {item.label}
                    </a>
                  ))}
                </Group>
              </nav>
            </Group>
            <Group gap="sm" wrap="nowrap">
              <Button variant="default" onClick={() => setSearching(true)} aria-keyshortcuts="Control+K /" className="search-button">
                Find patient&nbsp;
                <Kbd size="xs">Ctrl K</Kbd>
              </Button>
              <Menu position="bottom-end" withinPortal>
                <Menu.Target>
                  <Button variant="subtle" data-testid="user-menu">
                    {user.displayName}
                    <Text span size="xs" c="dimmed" ml={6}>
                      {user.role}
                    </Text>
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  {!open && <Menu.Item onClick={lock}>Lock screen</Menu.Item>}
                  {!open && <Menu.Item onClick={() => void session.signOut()}>Sign out</Menu.Item>}
                  {open && <Menu.Item disabled>This node has no accounts yet</Menu.Item>}
                </Menu.Dropdown>
              </Menu>
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Main className="app-main">
          {open && (
            <Alert color="orange" mb="md" title="No user accounts on this node">
              This server does not have sign-in yet: anyone who can reach it can read and change every chart. Keep it on this machine only.
            </Alert>
          )}
          {children}
        </AppShell.Main>
        <AppShell.Footer>
          <StatusBar />
        </AppShell.Footer>
      </AppShell>
      <PatientSearch opened={searching && !locked} onClose={() => setSearching(false)} />
      {locked && <LockScreen name={user.displayName} />}
    </>
  );
}
