import { Link, useParams } from 'react-router';
import { ChatView } from './ChatView';
import { ConversationList } from './ConversationList';
import { useSession } from '../../session/useSession';
import './chat.css';

/** What the chat area shows before a conversation is chosen. */
function ChatHome() {
  return (
    <div className="chat-home" data-testid="chat-home">
      <title>Chat · Agora</title>
      <h1>Chat with an agent</h1>
      <p className="lead">
        Pick a conversation on the side, or open an agent and choose <strong>Chat</strong> to start a new one.
      </p>
      <Link to="/marketplace" className="button button-primary">
        Find an agent
      </Link>
    </div>
  );
}

/**
 * /chat and /chat/:id: the caller's conversations on the side (the most recent first, each
 * can be deleted) and the chosen one, where answers stream in as they are written.
 */
export function ChatPage() {
  const { id } = useParams();
  const { userId } = useSession();
  if (!userId) return null;
  return (
    <div className="chat-layout">
      <aside className="chat-sidebar card" aria-labelledby="conversations-title">
        <div className="chat-sidebar-head">
          <h2 id="conversations-title" className="section-title">
            Conversations
          </h2>
        </div>
        <ConversationList userId={userId} activeId={id} />
      </aside>
      <section className="chat-main card" aria-label={id ? 'Conversation' : 'Chat'}>
        {/* A new conversation starts afresh: nothing of the previous one's answer stays. */}
        {id ? <ChatView key={id} id={id} userId={userId} /> : <ChatHome />}
      </section>
    </div>
  );
}
