import { SubNav } from '../../ui/SubNav';
import './studio.css';

const TABS = [
  { to: '/studio', label: 'My agents', end: true },
  { to: '/studio/workflows', label: 'My workflows', end: true },
  { to: '/workflow-runs', label: 'Workflow runs', end: true },
] as const;

/** The creator's studio sections: agents, workflows and the runs of workflows. */
export function StudioNav() {
  return <SubNav label="Studio" tabs={TABS} />;
}
