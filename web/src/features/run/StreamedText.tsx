import { Markdown } from '../../ui/Markdown';
import './run.css';

/**
 * A model's answer, rendered as inert Markdown (see MarkdownView.tsx): no HTML, no image
 * loaded, only web and email links. While it streams, a caret follows the text and the
 * region is marked busy (screen readers read it once it is complete).
 */
export function StreamedText({ text, streaming, testId }: { text: string; streaming: boolean; testId?: string }) {
  return (
    <div
      className={`answer-text${streaming ? ' is-streaming' : ''}`}
      aria-busy={streaming || undefined}
      data-testid={testId}
      data-streaming={streaming ? 'true' : 'false'}
    >
      {text ? (
        <Markdown source={text} variant="model-output" />
      ) : streaming ? (
        <p className="muted answer-waiting">Thinking…</p>
      ) : null}
      {streaming && <span className="answer-caret" aria-hidden="true" />}
    </div>
  );
}
