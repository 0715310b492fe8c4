/** The loading, empty and error states every view renders the same way. */
import { Alert, Button, Group, Loader, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { ApiError } from '../api/api-error';

/** A spinner with words. */
export function Loading({ what }: { what: string }) {
  return (
    <Group gap="xs" role="status" aria-live="polite" py="sm">
      <Loader size="sm" />
      <Text size="sm" c="dimmed">
        Loading {what}…
      </Text>
    </Group>
  );
}

/** "Nothing here" in plain words. */
export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" size="sm" py="xs" className="empty-state">
      {children}
    </Text>
  );
}

/** What failed, why, and a retry button; a route this node lacks is said as such. */
export function ErrorState({ what, error, retry }: { what: string; error: Error; retry?: () => void }) {
  const missing = error instanceof ApiError && error.missingRoute;
  return (
    <Alert color={missing ? 'gray' : 'red'} role="alert" title={missing ? `${what}: not available on this server yet` : `Could not load ${what}`}>
      <Text size="sm">{missing ? 'This Chartroom node does not offer this yet (the server part is still being built).' : error.message}</Text>
      {retry && !missing && (
        <Button size="xs" variant="light" mt="xs" onClick={retry}>
          Try again
        </Button>
      )}
    </Alert>
  );
}
