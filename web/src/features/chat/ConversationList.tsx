import { Link, useNavigate } from 'react-router';
import { chatPath, type ConversationRecord } from './api';
import { formatDateTime } from '../../format/dates';
import { ConfirmAction } from '../../ui/ConfirmAction';
import { conversationTitle } from './conversationTitle';
import { useConversations, useDeleteConversation } from './queries';
import { LoadError } from '../../ui/LoadError';

function ConversationItem({
  conversation,
  active,
  userId,
}: {
  conversation: ConversationRecord;
  active: boolean;
  userId: string;
}) {
  const navigate = useNavigate();
  const title = conversationTitle(conversation);
  const remove = useDeleteConversation(userId, conversation.id, {
    onSuccess: () => {
      if (active) void navigate('/chat', { replace: true });
    },
  });
  return (
    <li
      className={`conversation-item${active ? ' is-active' : ''}`}
      data-testid="conversation-item"
      data-conversation-id={conversation.id}
    >
      <Link
        to={chatPath(conversation.id)}
        className="conversation-link"
        aria-current={active ? 'page' : undefined}
        title={title}
      >
        <span className="conversation-title">{title}</span>
        <span className="conversation-meta muted">
          {conversation.agent_name} ·{' '}
          <time dateTime={conversation.updated_at}>{formatDateTime(conversation.updated_at)}</time>
        </span>
      </Link>
      <ConfirmAction
        action={remove}
        ask={{
          label: '×',
          name: `Delete “${title}”`,
          className: 'link-button conversation-delete',
          title: 'Delete this conversation',
          testId: 'delete-conversation',
        }}
        confirmName={`Confirm deleting “${title}”`}
        confirmLabel="Delete"
        pendingLabel="Deleting…"
        cancelLabel="Keep"
        layout={{ kind: 'row', className: 'conversation-confirm', errorPrefix: 'Could not delete: ' }}
      />
    </li>
  );
}

/** The caller's conversations, the most recent first, each with a delete action. */
export function ConversationList({ userId, activeId }: { userId: string; activeId: string | undefined }) {
  const conversations = useConversations(userId);
  if (conversations.isPending) {
    return <div className="skeleton skeleton-form" role="status" aria-label="Loading your conversations" />;
  }
  if (conversations.error) {
    return (
      <LoadError what="your conversations" error={conversations.error} onRetry={() => void conversations.refetch()} compact />
    );
  }
  const sorted = [...conversations.data].sort((a, b) => b.updated_at.localeCompare(a.updated_at));
  if (sorted.length === 0) {
    return (
      <p className="muted empty-state" data-testid="no-conversations">
        No conversations yet. Open an agent in the{' '}
        <Link to="/marketplace" className="text-link">
          marketplace
        </Link>{' '}
        and choose Chat.
      </p>
    );
  }
  return (
    <ul className="conversation-list" data-testid="conversation-list">
      {sorted.map((conversation) => (
        <ConversationItem
          key={conversation.id}
          conversation={conversation}
          active={conversation.id === activeId}
          userId={userId}
        />
      ))}
    </ul>
  );
}
