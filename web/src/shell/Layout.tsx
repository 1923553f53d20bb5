import { NavLink, Outlet, Link } from 'react-router';
import { VerifyEmailBanner } from '../features/email-verification/VerifyEmailBanner';
import { Logo } from './Logo';
import { SiteFooter } from './SiteFooter';
import { UserMenu } from './UserMenu';
import './shell.css';

const NAV_ITEMS = [
  { to: '/marketplace', label: 'Marketplace' },
  { to: '/chat', label: 'Chat' },
  { to: '/studio', label: 'My agents' },
  { to: '/workflows', label: 'Workflows' },
  { to: '/status', label: 'Status' },
] as const;

/** The shell every page lives in: header with navigation, the email confirmation banner, main area, footer. */
export function Layout() {
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="site-header">
        <div className="container site-header-inner">
          <Link to="/" className="brand" aria-label="Agora home">
            <Logo />
          </Link>
          <nav aria-label="Main" className="site-nav">
            <ul>
              {NAV_ITEMS.map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to} className="nav-link">
                    {item.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <UserMenu />
        </div>
      </header>
      <VerifyEmailBanner />
      <main id="main" className="site-main" tabIndex={-1}>
        <div className="container">
          <Outlet />
        </div>
      </main>
      <SiteFooter />
    </div>
  );
}
