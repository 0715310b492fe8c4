/** Sign in: username and password, then the second-factor code when the server asks for it. */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Button, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { ApiError } from '../api/api-error';
import { useSession } from './session.resource';

/** The login screen. */
export function LoginPage({ reason }: { reason?: string }) {
  const session = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needCode, setNeedCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await session.signIn(username, password, needCode ? code : undefined);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'mfa-required') {
        if (needCode) setError(err.message);
        setNeedCode(true);
      } else {
        setError(err instanceof ApiError && err.status === 401 ? `Sign-in failed: ${err.message}` : (err as Error).message);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="login-page">
      <Paper component="section" withBorder shadow="sm" p="xl" radius="md" maw={400} mx="auto" mt="10vh">
        <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
          <Stack gap="md">
            <div>
              <Title order={1} size="h2">
                Chartroom
              </Title>
              <Text c="dimmed" size="sm">
                {document.title.replace(/^Chartroom — /, '')}
              </Text>
            </div>
            {reason && <Alert color="yellow">{reason}</Alert>}
            {!needCode ? (
              <>
                <TextInput label="Username" autoComplete="username" value={username} onChange={(e) => setUsername(e.currentTarget.value)} required data-autofocus autoFocus />
                <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} required />
              </>
            ) : (
              <TextInput
                label="Code from your authenticator app"
                description={`Signing in as ${username}`}
                inputMode="numeric"
                autoComplete="one-time-code"
                value={code}
                onChange={(e) => setCode(e.currentTarget.value.trim())}
                required
                autoFocus
              />
            )}
            {error && (
              <Alert color="red" role="alert" title="Not signed in">
                {error}
              </Alert>
            )}
            <Button type="submit" loading={busy}>
              {needCode ? 'Verify code' : 'Sign in'}
            </Button>
            {needCode && (
              <Button variant="subtle" onClick={() => {
                  setNeedCode(false);
                  setCode('');
                  setError(undefined);
                }}>
                Back
              </Button>
            )}
          </Stack>
        </form>
      </Paper>
    </main>
  );
}
