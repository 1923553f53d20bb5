import { useEffect, useRef, useState } from 'react';

type CopyState = 'idle' | 'copied' | 'selected';

/** Selects the text of `element`, for the user to copy by hand. */
function selectContents(element: HTMLElement) {
  const selection = window.getSelection();
  if (!selection) return;
  const range = document.createRange();
  range.selectNodeContents(element);
  selection.removeAllRanges();
  selection.addRange(range);
}

interface NewKeyPanelProps {
  name: string;
  secret: string;
  onDismiss: () => void;
}

/**
 * The secret of a key just created, shown this once: the API stores only a hash, and the
 * page keeps the secret in component state only, so it is gone once the user dismisses
 * the panel or leaves the page.
 */
export function NewKeyPanel({ name, secret, onDismiss }: NewKeyPanelProps) {
  const panelRef = useRef<HTMLElement>(null);
  const secretRef = useRef<HTMLElement>(null);
  const [copyState, setCopyState] = useState<CopyState>('idle');

  // Take focus, so keyboard and screen-reader users land on the key right away.
  useEffect(() => {
    panelRef.current?.focus();
  }, []);

  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
      setCopyState('copied');
    } catch {
      // No clipboard access (an insecure context, or permission refused): select the key instead.
      if (secretRef.current) selectContents(secretRef.current);
      setCopyState('selected');
    }
  };

  return (
    <section
      ref={panelRef}
      className="secret-panel"
      aria-labelledby="new-key-title"
      tabIndex={-1}
      data-testid="new-key-panel"
    >
      <h2 id="new-key-title">Your new API key “{name}”</h2>
      <p className="secret-warning">
        <strong>Copy it now: you will not see it again.</strong> Agora keeps only a fingerprint of it. If you lose it,
        revoke it and create another.
      </p>
      <div className="secret-row">
        <code ref={secretRef} className="secret-value" data-testid="api-key-secret">
          {secret}
        </code>
        <button type="button" className="button button-primary" onClick={() => void copy()}>
          {copyState === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="secret-copy-status" role="status" aria-live="polite" data-testid="copy-status">
        {copyState === 'copied' && 'Copied to the clipboard.'}
        {copyState === 'selected' && 'Could not use the clipboard: the key is selected, press Ctrl+C (⌘C on a Mac) to copy it.'}
      </p>
      <p className="secret-usage muted">
        Send it as <code>Authorization: Bearer &lt;key&gt;</code>.
      </p>
      <button type="button" className="button" onClick={onDismiss}>
        I have stored it, hide the key
      </button>
    </section>
  );
}
