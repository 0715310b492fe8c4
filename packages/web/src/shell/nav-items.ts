/** Which screens each role sees in the navigation. */
import type { Role } from '../login/session.resource';

export interface NavItem {
  path: string;
  label: string;
  roles: readonly Role[];
}

/** The navigation, in order. */
export const NAV_ITEMS: readonly NavItem[] = [
  { path: '/today', label: 'Today', roles: ['admin', 'clinician', 'nurse', 'front-desk', 'billing'] },
  { path: '/results', label: 'Results inbox', roles: ['admin', 'clinician', 'nurse'] },
  { path: '/conflicts', label: 'Reconciliation', roles: ['admin', 'clinician', 'nurse', 'front-desk'] },
  { path: '/admin', label: 'Admin', roles: ['admin'] },
];

/** The items a role may see. */
export function navFor(role: Role): NavItem[] {
  return NAV_ITEMS.filter((i) => i.roles.includes(role));
}
