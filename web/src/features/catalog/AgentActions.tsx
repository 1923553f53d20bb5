import { useId } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { editorPath, type AgentView, type SavedView } from './api';
import { errorMessage } from '../../api/problem';
import { chatPath } from '../chat/api';
import { useStartConversation } from '../chat/queries';
import { useExportAgent, useForkAgent, useSavedAgents, useSavedMutations } from './queries';
import { useSession } from '../../session/useSession';
import { nextQuery } from '../../session/nextPath';
import { ActionButton } from '../../ui/ActionButton';
import { Icon } from '../../ui/Icon';
import { runVersion } from '../run/runOptions';

/** Hands a file to the browser as a download. */
function download(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The versions one may pin to: the published ones the page knows of, newest first, or
 * 1 to latest when the version list has not loaded.
 */
function pinChoices(versions: number[], latest: number | null | undefined): number[] {
  if (versions.length > 0) return versions;
  return latest ? Array.from({ length: latest }, (_, index) => latest - index) : [];
}

/** The version select of a saved agent: follow the latest version, or stay on one. */
export function PinSelect({
  entry,
  versions,
  disabled,
  onPin,
}: {
  entry: SavedView;
  versions: number[];
  disabled: boolean;
  onPin: (version: number | null) => void;
}) {
  const id = useId();
  const choices = pinChoices(versions, entry.latest_version);
  return (
    <span className="pin-select">
      <label htmlFor={id}>Version</label>
      <select
        id={id}
        className="input input-small"
        value={entry.pinned_version ?? ''}
        disabled={disabled}
        onChange={(event) => onPin(event.target.value ? Number(event.target.value) : null)}
        data-testid="pin-select"
      >
        <option value="">Latest (follow updates)</option>
        {choices.map((version) => (
          <option key={version} value={version}>
            Pin to v{version}
          </option>
        ))}
      </select>
    </span>
  );
}

function SaveControl({ view, versions, userId }: { view: AgentView; versions: number[]; userId: string }) {
  const { handle, slug, address } = view.agent;
  const saved = useSavedAgents();
  const entry = saved.data?.find((item) => item.address === address);
  const { save, unsave } = useSavedMutations(userId, handle, slug);
  const busy = save.isPending || unsave.isPending;
  const error = save.error ?? unsave.error;

  if (saved.isPending) {
    return (
      <button type="button" className="button" disabled>
        Save
      </button>
    );
  }
  return (
    <div className="save-control" data-testid="save-control" data-saved={entry ? 'true' : 'false'}>
      {entry ? (
        <>
          <span className="saved-mark" data-testid="saved-mark">
            <Icon name="star" filled /> Saved
          </span>
          <PinSelect entry={entry} versions={versions} disabled={busy} onPin={(version) => save.mutate(version)} />
          {entry.newer_version_available && (
            <span className="tag-badge tag-badge-update" data-testid="newer-version">
              v{entry.latest_version} available
            </span>
          )}
          <button type="button" className="button button-small" onClick={() => unsave.mutate()} disabled={busy}>
            {unsave.isPending ? 'Removing…' : 'Unsave'}
          </button>
        </>
      ) : (
        <button
          type="button"
          className="button button-primary"
          onClick={() => save.mutate(null)}
          disabled={busy || saved.isError}
          data-testid="save-agent"
        >
          <Icon name="star" /> {save.isPending ? 'Saving…' : 'Save'}
        </button>
      )}
      {(error ?? saved.error) && (
        <p className="field-error" role="alert">
          {errorMessage(error ?? saved.error)}
        </p>
      )}
    </div>
  );
}

function ForkButton({ view }: { view: AgentView }) {
  const navigate = useNavigate();
  const fork = useForkAgent(view, {
    onSuccess: (forked) => void navigate(editorPath(forked.agent.handle, forked.agent.slug), { state: { notice: 'forked' } }),
  });
  return (
    <ActionButton
      run={() => fork.mutate()}
      pending={fork.isPending}
      error={fork.error}
      icon={<Icon name="fork" />}
      label="Fork"
      pendingLabel="Forking…"
      failure="fork"
      title="Copy this agent into a private draft of yours"
      testId="fork-agent"
    />
  );
}

function ExportButton({ view }: { view: AgentView }) {
  const exportFile = useExportAgent(view, { onSuccess: ({ blob, filename }) => download(blob, filename) });
  return (
    <ActionButton
      run={() => exportFile.mutate()}
      pending={exportFile.isPending}
      error={exportFile.error}
      icon={<Icon name="download" />}
      label="Export"
      pendingLabel="Exporting…"
      failure="export"
      title="Download the agent's definition (agora.agent/v1 JSON)"
      testId="export-agent"
    />
  );
}

/**
 * Chat: starts a conversation with the agent and opens it. An agent with required inputs
 * is better started from the try-it panel ("Continue in a chat"), which has its fields.
 */
function ChatButton({ view, userId }: { view: AgentView; userId: string }) {
  const spec = view.latest?.spec ?? view.draft;
  const needsInputs = (spec?.inputs ?? []).some((field) => field.required);
  if (needsInputs) {
    // Its inputs are filled in once, when the conversation starts: the try-it panel has the fields.
    return (
      <a href="#try-it" className="button button-primary" data-testid="start-chat" title="Fill in the agent’s inputs, run it, then continue in a chat">
        <Icon name="chat" /> Chat
      </a>
    );
  }
  return <StartChatButton view={view} userId={userId} />;
}

function StartChatButton({ view, userId }: { view: AgentView; userId: string }) {
  const navigate = useNavigate();
  const version = runVersion(view);
  const start = useStartConversation(userId, { onSuccess: (conversation) => void navigate(chatPath(conversation.id)) });
  return (
    <ActionButton
      run={() => start.mutate({ agent: view.agent.address, ...(version !== undefined ? { version } : {}) })}
      pending={start.isPending}
      error={start.error}
      icon={<Icon name="chat" />}
      label="Chat"
      pendingLabel="Starting…"
      failure="start a chat"
      className="button button-primary"
      title="Start a conversation with this agent"
      testId="start-chat"
    />
  );
}

/** Chat, Save (and pin), Fork, Export and, for the owner, Edit and Stats. Signed out, Chat, Save and Fork lead to sign-in. */
export function AgentActions({ view, versions }: { view: AgentView; versions: number[] }) {
  const { status, userId } = useSession();
  const location = useLocation();
  const sealed = view.latest?.spec.licence === 'sealed';
  const published = view.latest != null;
  const signIn = `/signin${nextQuery(location.pathname)}`;
  const runnable = view.agent.status !== 'delisted' && (published || (view.is_owner && view.draft != null));
  return (
    <div className="agent-actions" data-testid="agent-actions">
      {runnable &&
        (status === 'signed-in' && userId ? (
          <ChatButton view={view} userId={userId} />
        ) : (
          <Link to={signIn} className="button button-primary">
            <Icon name="chat" /> Sign in to chat
          </Link>
        ))}
      {published &&
        (status === 'signed-in' && userId ? (
          <SaveControl view={view} versions={versions} userId={userId} />
        ) : (
          <Link to={signIn} className="button button-primary">
            <Icon name="star" /> Sign in to save
          </Link>
        ))}
      {published &&
        (sealed && !view.is_owner ? (
          <button type="button" className="button" disabled title="Its creator sealed it: it cannot be forked">
            <Icon name="fork" /> Fork
          </button>
        ) : status === 'signed-in' ? (
          <ForkButton view={view} />
        ) : (
          <Link to={signIn} className="button">
            <Icon name="fork" /> Sign in to fork
          </Link>
        ))}
      {published && (!sealed || view.is_owner) && <ExportButton view={view} />}
      {view.is_owner && (
        <Link to={editorPath(view.agent.handle, view.agent.slug)} className="button" data-testid="edit-agent">
          <Icon name="edit" /> Edit
        </Link>
      )}
      {view.is_owner && (
        <Link to={`${editorPath(view.agent.handle, view.agent.slug)}/stats`} className="button" data-testid="agent-stats-link">
          <Icon name="chart" /> Stats
        </Link>
      )}
    </div>
  );
}
