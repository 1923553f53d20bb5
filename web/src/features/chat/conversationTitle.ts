import type { ConversationRecord } from './api';

/** A conversation's name in the list: its title (the first message), else the agent's name. */
export function conversationTitle(conversation: ConversationRecord): string {
  return conversation.title.trim() || `New chat with ${conversation.agent_name}`;
}
