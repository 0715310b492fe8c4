/** Admin: users and roles, own MFA enrolment, sync peers, audit log ("who opened this chart"). */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Badge, Button, Code, Group, Image, Paper, Select, Stack, Table, Tabs, Text, TextInput, Title } from '@mantine/core';
import { dateText, timeText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import type { Role } from '../login/session.resource';
import { Empty, ErrorState, Loading } from '../shell/view-states';
import { confirmMfa, createUser, loadAudit, loadPeers, loadUsers, ROLES, setDisabled, setRole, startMfa } from './admin.resource';
import type { MfaEnrolment } from './admin.resource';
import { DowntimeKit, Quarantine } from './admin-continuity';

function when(iso: string | null | undefined): string {
  return iso ? `${dateText(iso)} ${timeText(iso)}` : 'never';
}

function Users() {
  const users = useResource('users', loadUsers);
  const [error, setError] = useState<string | undefined>();
  const [created, setCreated] = useState<string | undefined>();
  const [nu, setNu] = useState({ username: '', displayName: '', role: 'clinician' as Role });
  async function act(f: () => Promise<unknown>) {
    setError(undefined);
    try {
      await f();
      users.reload();
    } catch (err) {
      setError((err as Error).message);
    }
  }
  async function add(e: FormEvent) {
    e.preventDefault();
    await act(async () => {
      const r = (await createUser(nu)) as { oneTimePassword?: string; password?: string };
      const pw = r.oneTimePassword ?? r.password;
      setCreated(pw ? `Created ${nu.username}. One-time password (shown once): ${pw}` : `Created ${nu.username}.`);
      setNu({ username: '', displayName: '', role: 'clinician' });
    });
  }
  return (
    <Stack>
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      {created && <Alert color="teal">{created}</Alert>}
      {users.status === 'loading' && <Loading what="users" />}
      {users.status === 'error' && <ErrorState what="users" error={users.error} retry={users.reload} />}
      {users.status === 'ready' &&
        (users.data.length === 0 ? (
          <Empty>No users.</Empty>
        ) : (
          <Table striped aria-label="Users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>User</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>MFA</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.map((u) => (
                <Table.Tr key={u.id}>
                  <Table.Td>
                    <Text fw={600} size="sm">
                      {u.displayName}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {u.username}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Select aria-label={`Role of ${u.username}`} data={ROLES} value={u.role} onChange={(r) => r && void act(() => setRole(u.id, r as Role))} allowDeselect={false} w={150} size="xs" />
                  </Table.Td>
                  <Table.Td>{u.mfaEnrolled ? <Badge color="teal" variant="light">on</Badge> : <Badge color="orange" variant="light">off</Badge>}</Table.Td>
                  <Table.Td>{u.disabled ? <Badge color="gray" variant="light">disabled</Badge> : <Badge color="blue" variant="light">active</Badge>}</Table.Td>
                  <Table.Td>
                    <Button size="compact-xs" variant="light" color={u.disabled ? 'teal' : 'red'} onClick={() => void act(() => setDisabled(u.id, !u.disabled))}>
                      {u.disabled ? 'Enable' : 'Disable'}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
      <form onSubmit={(e) => void add(e)} aria-label="Add a user">
        <Group align="flex-end">
          <TextInput label="Username" value={nu.username} onChange={(e) => setNu({ ...nu, username: e.currentTarget.value })} required />
          <TextInput label="Full name" value={nu.displayName} onChange={(e) => setNu({ ...nu, displayName: e.currentTarget.value })} required />
          <Select label="Role" data={ROLES} value={nu.role} onChange={(r) => r && setNu({ ...nu, role: r as Role })} allowDeselect={false} />
          <Button type="submit">Add user</Button>
        </Group>
      </form>
    </Stack>
  );
}

function Mfa() {
  const [enrol, setEnrol] = useState<MfaEnrolment | undefined>();
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  return (
    <Stack maw={520}>
      <Text size="sm">Two-step sign-in with an authenticator app (TOTP) for your own account.</Text>
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      {!enrol && !codes && (
        <Button onClick={() => startMfa().then(setEnrol, (e: Error) => setError(e.message))} w="fit-content">
          Set up an authenticator app
        </Button>
      )}
      {enrol && !codes && (
        <Paper withBorder p="md">
          <Stack>
            <Image src={enrol.qrDataUrl} alt="QR code to scan with the authenticator app" w={200} h={200} />
            <Text size="sm">
              Or enter this key: <Code>{enrol.secret}</Code>
            </Text>
            <Group align="flex-end">
              <TextInput label="First code from the app" inputMode="numeric" value={code} onChange={(e) => setCode(e.currentTarget.value.trim())} />
              <Button onClick={() => confirmMfa(code).then((r) => setCodes(r.recoveryCodes), (e: Error) => setError(e.message))}>Confirm</Button>
            </Group>
          </Stack>
        </Paper>
      )}
      {codes && (
        <Alert color="teal" title="Two-step sign-in is on">
          Recovery codes (shown once; keep them safe): <Code block>{codes.join('\n')}</Code>
        </Alert>
      )}
    </Stack>
  );
}

function Peers() {
  const s = useResource('peers', loadPeers);
  if (s.status === 'loading') return <Loading what="sync peers" />;
  if (s.status === 'error') return <ErrorState what="sync peers" error={s.error} retry={s.reload} />;
  const d = s.data;
  return (
    <Stack>
      <Text size="sm">
        This node: <strong>{d.state}</strong> · {d.pendingChanges} changes waiting · last successful sync {when(d.lastSuccessfulSync)} · {d.conflicts} conflicts · {d.quarantined} quarantined
      </Text>
      {d.peers.length === 0 ? (
        <Empty>No peers: this node does not sync with a hub.</Empty>
      ) : (
        <Table striped aria-label="Sync peers">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Peer</Table.Th>
              <Table.Th>Direction</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Last success</Table.Th>
              <Table.Th>Waiting</Table.Th>
              <Table.Th>Last error</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {d.peers.map((p) => (
              <Table.Tr key={p.nodeId}>
                <Table.Td>
                  {p.name}
                  <Text size="xs" c="dimmed">
                    {p.url}
                  </Text>
                </Table.Td>
                <Table.Td>{p.direction}</Table.Td>
                <Table.Td>
                  <Badge color={p.connected ? "teal" : "orange"} variant="light">{p.state}</Badge>
                </Table.Td>
                <Table.Td>{when(p.lastSuccessAt)}</Table.Td>
                <Table.Td>{p.pendingChanges}</Table.Td>
                <Table.Td>{p.lastError}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

function Audit() {
  const [patient, setPatient] = useState('');
  const [query, setQuery] = useState<{ patient?: string; sort: string }>({ sort: '-time' });
  const rows = useResource(JSON.stringify(query), (signal) => loadAudit(query, signal));
  return (
    <Stack>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ ...query, patient: patient.trim() || undefined });
        }}
        aria-label="Filter the audit log"
      >
        <Group align="flex-end">
          <TextInput label="Patient id (who opened this chart)" value={patient} onChange={(e) => setPatient(e.currentTarget.value)} w={360} />
          <Select
            label="Sort"
            data={[
              { value: '-time', label: 'Newest first' },
              { value: 'time', label: 'Oldest first' },
              { value: 'user', label: 'By user' },
            ]}
            value={query.sort}
            onChange={(v) => v && setQuery({ ...query, sort: v })}
            allowDeselect={false}
          />
          <Button type="submit">Filter</Button>
        </Group>
      </form>
      {rows.status === 'loading' && <Loading what="the audit log" />}
      {rows.status === 'error' && <ErrorState what="the audit log" error={rows.error} retry={rows.reload} />}
      {rows.status === 'ready' &&
        (rows.data.length === 0 ? (
          <Empty>No audit entries match.</Empty>
        ) : (
          <Table striped aria-label="Audit log">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>When</Table.Th>
                <Table.Th>Who</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Patient</Table.Th>
                <Table.Th>Record</Table.Th>
                <Table.Th>Outcome</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.data.map((r) => (
                <Table.Tr key={`${r.node}-${r.seq}`}>
                  <Table.Td>{when(r.time)}</Table.Td>
                  <Table.Td>
                    {r.user} <Text span size="xs" c="dimmed">({r.role})</Text>
                  </Table.Td>
                  <Table.Td>{r.action}</Table.Td>
                  <Table.Td>{r.patient}</Table.Td>
                  <Table.Td>{r.resource}</Table.Td>
                  <Table.Td>{r.outcome}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Stack>
  );
}

/** The admin screen. */
export function AdminPage() {
  const [tab, setTab] = useState<string | null>('users');
  return (
    <Stack>
      <Title order={1} size="h2">
        Admin
      </Title>
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="users">Users and roles</Tabs.Tab>
          <Tabs.Tab value="mfa">My two-step sign-in</Tabs.Tab>
          <Tabs.Tab value="peers">Peers and sync</Tabs.Tab>
          <Tabs.Tab value="quarantine">Quarantine</Tabs.Tab>
          <Tabs.Tab value="audit">Audit log</Tabs.Tab>
          <Tabs.Tab value="downtime">Downtime kit</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="users" pt="md">
          <Users />
        </Tabs.Panel>
        <Tabs.Panel value="mfa" pt="md">
          <Mfa />
        </Tabs.Panel>
        <Tabs.Panel value="peers" pt="md">
          <Peers />
        </Tabs.Panel>
        <Tabs.Panel value="quarantine" pt="md">
          <Quarantine />
        </Tabs.Panel>
        <Tabs.Panel value="downtime" pt="md">
          <DowntimeKit />
        </Tabs.Panel>
        <Tabs.Panel value="audit" pt="md">
          <Audit />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}
