import { NavLink } from 'react-router';
import './studio.css';

const TABS = [
  { to: '/studio', label: 'My agents', end: true },
  { to: '/studio/workflows', label: 'My workflows', end: true },
  { to: '/workflow-runs', label: 'Workflow runs', end: true },
] as const;

/** The creator's studio sections: agents, workflows and the runs of workflows. */
export function StudioNav() {
  return (
    <nav aria-label="Studio" className="subnav">
      <ul>
        {TABS.map((tab) => (
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
