import type { AgentView } from '../catalog/api';
import type { VersionParam } from './api';

/** Which version a run of this page's agent uses: the latest, or the owner's draft before the first publish. */
export function runVersion(view: AgentView): VersionParam | undefined {
  return view.latest ? undefined : view.is_owner && view.draft ? 'draft' : undefined;
}

/** The state a chat page reads when it opens (from "Continue in a chat"): the message box's text. */
export interface ChatArrival {
  draft?: string;
}

export function isChatArrival(value: unknown): value is ChatArrival {
  return typeof value === 'object' && value !== null && (!('draft' in value) || typeof value.draft === 'string');
}
