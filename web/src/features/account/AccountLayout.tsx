import { Outlet } from 'react-router';
import { SubNav } from '../../ui/SubNav';
import { useCurrentUser } from './queries';
import './account.css';

const TABS = [
  { to: '/account', label: 'Profile', end: true },
  { to: '/account/billing', label: 'Usage & billing', end: false },
  { to: '/account/api-keys', label: 'API keys', end: false },
  { to: '/account/provider-keys', label: 'Provider keys', end: false },
  { to: '/account/saved', label: 'Saved agents', end: false },
  { to: '/account/saved-workflows', label: 'Saved workflows', end: false },
] as const;

/** The frame of /account pages: heading, who is signed in, and the section tabs. */
export function AccountLayout() {
  const { data: user } = useCurrentUser();
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Your account</h1>
          <p className="lead">
            {user ? (
              <>
                Signed in as <strong data-testid="account-email">{user.email}</strong>
                {user.role === 'admin' && <span className="pill account-role">Administrator</span>}
              </>
            ) : (
              'Your profile, password, credits, keys, and saved agents and workflows.'
            )}
          </p>
        </div>
      </div>
      <SubNav label="Account" tabs={TABS} />
      <Outlet />
    </>
  );
}
