import { useState, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { FormNotice } from './forms/FormAlert';

/**
 * The notice the page that sent the user here asked for (`navigate(to, { state: { notice:
 * 'forked' } })`), looked up in `notices`, with Dismiss; undefined without one. It is for
 * the arrival only: dismissed, it does not come back when the page renders again.
 */
export function useArrivalNotice(notices: Record<string, string>): ReactNode | undefined {
  const location = useLocation();
  const [shown, setShown] = useState(true);
  const state: unknown = location.state;
  const key = typeof state === 'object' && state !== null && 'notice' in state ? String(state.notice) : '';
  const text = notices[key];
  if (!text || !shown) return undefined;
  return (
    <div className="arrival-notice">
      <FormNotice testId="arrival-notice">{text}</FormNotice>
      <button type="button" className="link-button" onClick={() => setShown(false)}>
        Dismiss
      </button>
    </div>
  );
}
