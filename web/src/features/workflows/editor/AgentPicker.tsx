import { useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import { agentPath } from '../../catalog/api';
import { useAgentListing, useVersionsToPin } from '../../catalog/queries';
import { errorMessage } from '../../../api/problem';
import type { AgentCall } from '../api';
import { formatPriceShort } from '../../catalog/format';
import { FieldErrorList } from '../../../ui/forms/Controls';

/**
 * Chooses the agent a step runs: a search of the marketplace (`GET /v1/agents?q=`), then a
 * version pinned from the agent's published versions (the latest by default; deprecated
 * ones are marked). `name` is the field path of the call (`steps[0].agent`), so the
 * server's `.ref` and `.version` errors show here.
 */
export function AgentPicker({
  name,
  call,
  onPick,
  onVersion,
  refErrors,
  versionErrors,
}: {
  name: string;
  call: AgentCall;
  onPick: (ref: string, version: number) => void;
  onVersion: (version: number) => void;
  refErrors?: string[] | undefined;
  versionErrors?: string[] | undefined;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  // Search once typing pauses, not on every key.
  useEffect(() => {
    const timer = setTimeout(() => setQ(text.trim()), 250);
    return () => clearTimeout(timer);
  }, [text]);
  const results = useAgentListing({ q, limit: 6 }, q.length > 0);
  const versions = useVersionsToPin(call.ref);
  const hasRefErrors = Boolean(refErrors && refErrors.length > 0);
  const hasVersionErrors = Boolean(versionErrors && versionErrors.length > 0);

  return (
    <fieldset className="field wf-agent-picker" data-testid="agent-picker">
      <legend className="field-label">Agent</legend>
      {call.ref ? (
        <p className="wf-picked">
          <code data-testid="picked-agent">{call.ref}</code>{' '}
          <Link to={agentPath(call.ref)} className="text-link" target="_blank" rel="noopener">
            Open its page ↗
          </Link>
        </p>
      ) : (
        <p className="muted wf-picked">No agent chosen yet: search the marketplace below.</p>
      )}
      {hasRefErrors && <FieldErrorList name={`${name}.ref`} errors={refErrors ?? []} />}

      <label htmlFor={`${id}-search`} className="visually-hidden">
        Search agents
      </label>
      <input
        id={`${id}-search`}
        type="search"
        className="input"
        placeholder={call.ref ? 'Search for another agent…' : 'Search agents by name or task…'}
        value={text}
        onChange={(event) => setText(event.target.value)}
        data-testid="agent-search"
        aria-invalid={hasRefErrors || undefined}
        autoComplete="off"
      />
      {q && (
        <div className="wf-agent-results" aria-live="polite">
          {results.isPending ? (
            <p className="muted">Searching…</p>
          ) : results.error ? (
            <p className="field-error">Could not search: {errorMessage(results.error)}</p>
          ) : results.data.agents.length === 0 ? (
            <p className="muted">No agent matches “{q}”.</p>
          ) : (
            <ul className="wf-agent-list" aria-label="Matching agents">
              {results.data.agents.map((card) => (
                <li key={card.address}>
                  <button
                    type="button"
                    className="wf-agent-option"
                    data-testid="agent-option"
                    data-address={card.address}
                    onClick={() => {
                      onPick(card.address, card.latest_version);
                      setText('');
                      setQ('');
                    }}
                  >
                    <span className="wf-agent-option-name">{card.name}</span>
                    <code className="muted">{card.address}</code>
                    <span className="tag-badge tag-badge-price">{formatPriceShort(card.price_per_run)}</span>
                    <span className="muted">v{card.latest_version}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      {call.ref && (
        <div className={`field${hasVersionErrors ? ' has-error' : ''}`}>
          <label htmlFor={`${id}-version`} className="field-label">
            Version
          </label>
          <select
            id={`${id}-version`}
            name={`${name}.version`}
            className="input"
            value={String(call.version)}
            onChange={(event) => onVersion(Number(event.target.value))}
            aria-invalid={hasVersionErrors || undefined}
            data-testid="agent-version"
          >
            {/* The pinned version stays choosable while the list loads, or when it is not listed. */}
            {!versions.data?.some((version) => version.version === call.version) && (
              <option value={String(call.version)}>v{call.version}</option>
            )}
            {versions.data?.map((version) => (
              <option key={version.version} value={String(version.version)}>
                v{version.version}
                {version.deprecated_at ? ' (deprecated)' : ''}
                {version.changelog ? ` — ${version.changelog.slice(0, 60)}` : ''}
              </option>
            ))}
          </select>
          {hasVersionErrors && <FieldErrorList name={`${name}.version`} errors={versionErrors ?? []} />}
          {versions.error && <p className="field-hint">Could not list its versions: {errorMessage(versions.error)}</p>}
          <p className="field-hint">Runs always use this version, even after its creator publishes a new one.</p>
        </div>
      )}
    </fieldset>
  );
}
