/** The idle lock: covers the page (which stays as it was underneath) until the password is given again. */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Button, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useSession } from '../login/session.resource';

/** Full-screen lock overlay. */
export function LockScreen({ name }: { name: string }) {
  const session = useSession();
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await session.unlock(password);
      setPassword('');
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div className="lock-screen" role="dialog" aria-modal="true" aria-labelledby="lock-title">
      <Paper withBorder shadow="md" p="xl" radius="md" maw={380} mx="auto" mt="15vh">
        <form onSubmit={(e) => void submit(e)}>
          <Stack>
            <Title order={2} id="lock-title" size="h3">
              Screen locked
            </Title>
            <Text size="sm">Signed in as {name}. Enter your password to continue where you left off.</Text>
            <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} required autoFocus />
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <Button type="submit" loading={busy}>
              Unlock
            </Button>
            <Button variant="subtle" onClick={() => void session.signOut()}>
              Sign out instead
            </Button>
          </Stack>
        </form>
      </Paper>
    </div>
  );
}
