import { Markdown } from '../../ui/Markdown';
import type { AnswerSegment } from './segments';
import { ToolCard } from './ToolCard';
import './run.css';

/**
 * A model's answer, rendered as inert Markdown (see MarkdownView.tsx): no HTML, no image
 * loaded, only web and email links. The calls to the agent's tools show as cards where they
 * were made, above the text that followed them. While it streams, a caret follows the text
 * and the region is marked busy (screen readers read it once it is complete).
 */
export function StreamedText({
  segments,
  streaming,
  testId,
}: {
  segments: readonly AnswerSegment[];
  streaming: boolean;
  testId?: string;
}) {
  const last = segments.at(-1);
  // Nothing yet, or a call just ended and the model is at work again.
  const thinking = streaming && (last === undefined || (last.kind === 'tool' && last.use !== null));
  return (
    <div
      className={`answer-text${streaming ? ' is-streaming' : ''}`}
      aria-busy={streaming || undefined}
      data-testid={testId}
      data-streaming={streaming ? 'true' : 'false'}
    >
      {segments.map((segment, index) =>
        segment.kind === 'tool' ? (
          <ToolCard key={`tool-${index}`} call={segment.call} use={segment.use} active={streaming} />
        ) : (
          segment.text && <Markdown key={`text-${index}`} source={segment.text} variant="model-output" />
        ),
      )}
      {thinking && <p className="muted answer-waiting">Thinking…</p>}
      {streaming && <span className="answer-caret" aria-hidden="true" />}
    </div>
  );
}
