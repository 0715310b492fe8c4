/** First sign-in chores the server insists on: a new password, then a second factor. */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Button, Code, Image, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { apiRequest } from '../api/api-client';
import { confirmMfa, startMfa } from '../admin/admin.resource';
import type { MfaEnrolment } from '../admin/admin.resource';
import { fetchSession, useSession } from './session.resource';
import type { Restriction, SessionBody } from './session.resource';

function ChangePassword() {
  const session = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (next !== again) return setError('The two new passwords differ.');
    setBusy(true);
    setError(undefined);
    try {
      session.update(await apiRequest<SessionBody>('/api/account/password', { method: 'POST', body: { currentPassword: current, newPassword: next }, what: 'Changing the password' }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Change your password">
      <Stack>
        <Title order={1} size="h3">
          Choose your own password
        </Title>
        <Text size="sm">The password you signed in with was a one-time password.</Text>
        <PasswordInput label="Current (one-time) password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.currentTarget.value)} required />
        <PasswordInput label="New password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.currentTarget.value)} required />
        <PasswordInput label="New password again" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.currentTarget.value)} required />
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Button type="submit" loading={busy}>
          Change password
        </Button>
      </Stack>
    </form>
  );
}

function EnrolMfa() {
  const session = useSession();
  const [enrol, setEnrol] = useState<MfaEnrolment | undefined>();
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  async function confirm(e: FormEvent) {
    e.preventDefault();
    setError(undefined);
    try {
      setCodes((await confirmMfa(code)).recoveryCodes);
    } catch (err) {
      setError((err as Error).message);
    }
  }
  async function done() {
    const s = await fetchSession();
    if (s.kind === 'signed-in') session.recheck();
  }
  return (
    <Stack>
      <Title order={1} size="h3">
        Set up two-step sign-in
      </Title>
      <Text size="sm">Your role needs a code from an authenticator app at each sign-in.</Text>
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      {!enrol && <Button onClick={() => startMfa().then(setEnrol, (e: Error) => setError(e.message))}>Start</Button>}
      {enrol && !codes && (
        <form onSubmit={(e) => void confirm(e)}>
          <Stack>
            <Image src={enrol.qrDataUrl} alt="QR code to scan with the authenticator app" w={200} h={200} />
            <Text size="sm">
              Or enter this key: <Code>{enrol.secret}</Code>
            </Text>
            <TextInput label="Code from the app" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(e) => setCode(e.currentTarget.value.trim())} required />
            <Button type="submit">Confirm</Button>
          </Stack>
        </form>
      )}
      {codes && (
        <>
          <Alert color="teal" title="Two-step sign-in is on">
            Recovery codes (shown once; keep them safe): <Code block>{codes.join('\n')}</Code>
          </Alert>
          <Button onClick={() => void done()}>Continue</Button>
        </>
      )}
    </Stack>
  );
}

/** The account setup screen for a restricted session. */
export function AccountSetupPage({ restriction }: { restriction: Restriction }) {
  const session = useSession();
  return (
    <main>
      <Paper withBorder shadow="sm" p="xl" radius="md" maw={460} mx="auto" mt="8vh">
        {restriction === 'password-change-required' ? <ChangePassword /> : <EnrolMfa />}
        <Button variant="subtle" mt="md" onClick={() => void session.signOut()}>
          Sign out
        </Button>
      </Paper>
    </main>
  );
}
