import { useId, useState, type FormEvent } from 'react';
import type { AgentView, VersionView } from '../catalog/api';
import { useAgentVersions } from '../catalog/queries';
import { errorMessage } from '../../api/problem';
import { useDeprecateVersion, useSetLatestVersion } from './queries';
import { VersionHistory } from '../catalog/SpecDetails';
import { FormNotice } from '../../ui/forms/FormAlert';

/** The deprecate button of one version, with a note and a confirm step: it cannot be undone. */
function DeprecateControl({ view, version }: { view: AgentView; version: VersionView }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState('');
  const deprecate = useDeprecateVersion(view.agent.handle, view.agent.slug, version.version, {
    onSuccess: () => setOpen(false),
  });
  if (version.deprecated_at) return null;
  if (!open) {
    return (
      <button
        type="button"
        className="button button-small button-danger-outline"
        onClick={() => setOpen(true)}
        data-testid={`deprecate-v${version.version}`}
      >
        Deprecate
      </button>
    );
  }
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    deprecate.mutate(note.trim());
  };
  return (
    <form className="deprecate-form" onSubmit={onSubmit} aria-label={`Deprecate version ${version.version}`}>
      <label htmlFor={id} className="field-label">
        Why (shown to its users)
      </label>
      <input
        id={id}
        className="input input-small"
        value={note}
        maxLength={5000}
        onChange={(event) => setNote(event.target.value)}
        placeholder="Use v3: it fixes…"
      />
      <p className="muted field-hint">Deprecating cannot be undone.</p>
      <div className="confirm-actions">
        <button type="submit" className="button button-small button-danger" disabled={deprecate.isPending}>
          {deprecate.isPending ? 'Deprecating…' : `Deprecate v${version.version}`}
        </button>
        <button type="button" className="button button-small" onClick={() => setOpen(false)} disabled={deprecate.isPending}>
          Cancel
        </button>
      </div>
      {deprecate.error && (
        <p className="field-error" role="alert">
          {errorMessage(deprecate.error)}
        </p>
      )}
    </form>
  );
}

/** The owner's versions: the history, a rollback to any published version, and deprecation. */
export function VersionsPanel({ view }: { view: AgentView }) {
  const selectId = useId();
  const { handle, slug, latest_version: latest } = view.agent;
  const versions = useAgentVersions(handle, slug);
  const [target, setTarget] = useState('');
  const rollback = useSetLatestVersion(handle, slug, { onSuccess: () => setTarget('') });
  const others = (versions.data ?? []).filter((version) => version.version !== latest);

  return (
    <section className="card settings-section" aria-labelledby="owner-versions-title" data-testid="versions-panel">
      <h2 id="owner-versions-title" className="section-title">
        Versions
      </h2>
      {versions.isPending ? (
        <div className="skeleton skeleton-form" role="status" aria-label="Loading versions" />
      ) : versions.error ? (
        <p className="field-error" role="alert">
          Could not load the versions: {errorMessage(versions.error)}
        </p>
      ) : (
        <>
          {others.length > 0 && (
            <form
              className="rollback-form"
              onSubmit={(event) => {
                event.preventDefault();
                if (target) rollback.mutate(Number(target));
              }}
            >
              <label htmlFor={selectId} className="field-label">
                Make another version the latest
              </label>
              <div className="inline-controls">
                <select
                  id={selectId}
                  className="input input-small"
                  value={target}
                  onChange={(event) => setTarget(event.target.value)}
                  data-testid="rollback-select"
                >
                  <option value="">Choose a version</option>
                  {others.map((version) => (
                    <option key={version.version} value={version.version}>
                      v{version.version}
                      {version.deprecated_at ? ' (deprecated)' : ''}
                    </option>
                  ))}
                </select>
                <button type="submit" className="button button-small" disabled={!target || rollback.isPending} data-testid="rollback">
                  {rollback.isPending ? 'Switching…' : 'Make latest'}
                </button>
              </div>
              <p className="muted field-hint">
                Users who follow the latest version get the one you choose. The draft does not change.
              </p>
              {rollback.error && (
                <p className="field-error" role="alert">
                  {errorMessage(rollback.error)}
                </p>
              )}
              {rollback.isSuccess && <FormNotice>Version {rollback.variables} is now the latest.</FormNotice>}
            </form>
          )}
          <VersionHistory
            versions={versions.data}
            latest={latest}
            actions={(version) => <DeprecateControl view={view} version={version} />}
          />
        </>
      )}
    </section>
  );
}
