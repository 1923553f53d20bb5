import type { ToolCall, ToolUse } from './api';
import { formatArguments, formatLatency, resultMore, toolCardStatus, type ToolCardStatus } from './format';
import { builtinTool } from '../catalog/tools';
import './run.css';

const STATUS_LABELS: Record<ToolCardStatus, string> = {
  running: 'Running',
  ok: 'OK',
  error: 'Error',
  refused: 'Refused',
  unfinished: 'Did not finish',
};

/**
 * One call to one of the agent's tools, shown with the answer: collapsed, its status ("Calling
 * fetch_page…", then "fetch_page · 87 ms" and OK, Error or Refused); open, its arguments and
 * the start of what the tool returned. The result is web content nobody vetted: it is shown as
 * plain text only, never as HTML or Markdown.
 */
export function ToolCard({ call, use, active }: { call: ToolCall; use: ToolUse | null; active: boolean }) {
  const status = toolCardStatus(use, active);
  const name = use?.call.name ?? call.name;
  const args = use?.call.arguments ?? call.arguments;
  const more = use ? resultMore(use) : null;
  return (
    <details
      className={`tool-card tool-card-${status}`}
      data-testid="tool-card"
      data-tool={name}
      data-status={status}
      data-call-id={call.id}
    >
      <summary className="tool-card-summary">
        <span className="visually-hidden">Tool call: </span>
        {status === 'running' ? (
          <>
            <span className="tool-card-spinner" aria-hidden="true" />
            <span className="tool-card-title">
              Calling <code>{name}</code>…
            </span>
          </>
        ) : (
          <>
            <span className="tool-card-title" title={builtinTool(name)?.description}>
              <code>{name}</code>
              {use ? ` · ${formatLatency(use.latency_ms)}` : ''}
            </span>
            <span className={`tag-badge tool-card-outcome tool-card-outcome-${status}`} data-testid="tool-outcome">
              {STATUS_LABELS[status]}
            </span>
          </>
        )}
      </summary>
      <dl className="tool-card-body">
        <dt>Arguments</dt>
        <dd>
          <pre className="tool-card-text" data-testid="tool-arguments">
            {formatArguments(args)}
          </pre>
        </dd>
        <dt>Result</dt>
        <dd>
          {use ? (
            <>
              {/* React puts the preview in as text: whatever markup the page had stays characters. */}
              <pre className="tool-card-text" data-testid="tool-result">
                {use.result_preview || '(empty)'}
              </pre>
              {more && (
                <p className="muted tool-card-more" data-testid="tool-result-more">
                  {more}
                </p>
              )}
            </>
          ) : (
            <p className="muted tool-card-more">
              {active ? 'Waiting for the result…' : 'No result: the answer ended first.'}
            </p>
          )}
        </dd>
      </dl>
    </details>
  );
}
