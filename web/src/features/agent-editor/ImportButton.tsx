import { useId, useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { editorPath } from '../catalog/api';
import { ApiError, errorMessage } from '../../api/problem';
import { useImportAgent } from './queries';
import { Icon } from '../../ui/Icon';
import { SLUG_PATTERN } from './specForm';
import './agent-editor.css';

/** The largest file worth sending: a definition is at most about 80 KB of text. */
const MAX_FILE_BYTES = 512 * 1024;

/**
 * "Import from file": reads an exported `agora.agent/v1` file, creates a private draft from
 * it and opens the draft in the editor. The server names each bad field of the file. When
 * the address made from the agent's name is taken (409, say a file exported from one of
 * your own agents), it asks for another address and imports again.
 */
export function ImportButton() {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const navigate = useNavigate();
  const [text, setText] = useState<string | null>(null);
  const [slug, setSlug] = useState('');
  const [tooLarge, setTooLarge] = useState(false);
  const importFile = useImportAgent({
    onSuccess: (view) => {
      setText(null);
      void navigate(editorPath(view.agent.handle, view.agent.slug), { state: { notice: 'imported' } });
    },
  });
  const read = async (file: File) => {
    importFile.reset();
    setSlug('');
    setText(null);
    setTooLarge(file.size > MAX_FILE_BYTES);
    if (file.size > MAX_FILE_BYTES) return;
    const content = await file.text();
    setText(content);
    importFile.mutate({ text: content });
  };
  const error = tooLarge ? new ApiError('This file is too large to be an agent definition.', { status: 0 }) : importFile.error;
  const taken = error instanceof ApiError && error.status === 409 && text !== null;
  const fieldErrors = error instanceof ApiError ? Object.entries(error.fieldErrors) : [];
  const slugValid = SLUG_PATTERN.test(slug.trim());
  const onRetry = (event: FormEvent) => {
    event.preventDefault();
    if (text !== null && slugValid) importFile.mutate({ text, slug: slug.trim() });
  };

  return (
    <div className="import-button">
      <input
        ref={inputRef}
        id={id}
        type="file"
        accept="application/json,.json"
        className="visually-hidden"
        tabIndex={-1}
        onChange={(event) => {
          const file = event.target.files?.[0];
          event.target.value = '';
          if (file) void read(file);
        }}
        data-testid="import-file"
      />
      <button
        type="button"
        className="button"
        onClick={() => inputRef.current?.click()}
        disabled={importFile.isPending}
        aria-describedby={error ? `${id}-error` : undefined}
      >
        <Icon name="upload" /> {importFile.isPending ? 'Importing…' : 'Import from file'}
      </button>
      {error && (
        <div id={`${id}-error`} className="form-alert import-error" role="alert" data-testid="import-error">
          <p>Could not import: {errorMessage(error)}</p>
          {fieldErrors.length > 0 && (
            <ul>
              {fieldErrors.map(([field, messages]) => (
                <li key={field}>
                  <code>{field}</code> {messages.join(' ')}
                </li>
              ))}
            </ul>
          )}
          {taken && (
            <form className="inline-controls" onSubmit={onRetry} data-testid="import-slug-form">
              <label htmlFor={`${id}-slug`}>Import at another address:</label>
              <input
                id={`${id}-slug`}
                className="input input-small"
                value={slug}
                onChange={(event) => setSlug(event.target.value)}
                placeholder="my-agent-copy"
                autoComplete="off"
                // The question appears in place of the button the user just used.
                autoFocus
              />
              <button type="submit" className="button button-small" disabled={!slugValid || importFile.isPending}>
                Import
              </button>
            </form>
          )}
        </div>
      )}
    </div>
  );
}
