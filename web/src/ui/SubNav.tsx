import { NavLink } from 'react-router';

export interface SubNavTab {
  to: string;
  label: string;
  /** Current only on this exact path, not below it. */
  end: boolean;
}

/** The tabs of a section of the site (the account, the studio), the current one marked. */
export function SubNav({ label, tabs }: { label: string; tabs: readonly SubNavTab[] }) {
  return (
    <nav aria-label={label} className="subnav">
      <ul>
        {tabs.map((tab) => (
          <li key={tab.to}>
            <NavLink to={tab.to} end={tab.end} className="subnav-link">
              {tab.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
