import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/problem';
import { ConfirmAction, type ConfirmableAction } from './ConfirmAction';

function action(overrides: Partial<ConfirmableAction> = {}): ConfirmableAction {
  return { mutate: vi.fn(), reset: vi.fn(), isPending: false, error: null, ...overrides };
}

const ask = { label: 'Revoke', name: 'Revoke CI key', className: 'button' };

describe('ConfirmAction', () => {
  it('asks before it acts, and Cancel puts the first button back', () => {
    const revoke = action();
    render(
      <ConfirmAction
        action={revoke}
        ask={ask}
        confirmName="Confirm revoking CI key"
        confirmLabel="Yes, revoke"
        pendingLabel="Revoking…"
        layout={{ kind: 'panel', question: 'Programs using this key stop working. Revoke it?' }}
      />,
    );
    fireEvent.click(screen.getByRole('button', { name: 'Revoke CI key' }));
    const group = screen.getByRole('group', { name: 'Confirm revoking CI key' });
    expect(group).toHaveTextContent('Programs using this key stop working. Revoke it?');
    expect(screen.getByRole('button', { name: 'Yes, revoke' })).toHaveFocus();
    expect(revoke.mutate).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(revoke.reset).toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Revoke CI key' })).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Revoke CI key' }));
    fireEvent.click(screen.getByRole('button', { name: 'Yes, revoke' }));
    expect(revoke.mutate).toHaveBeenCalledTimes(1);
  });

  it('shows the action under way and why it failed', () => {
    const props = {
      ask: { ...ask, label: '×', name: 'Delete “Old chat”' },
      confirmName: 'Confirm deleting “Old chat”',
      confirmLabel: 'Delete',
      pendingLabel: 'Deleting…',
      cancelLabel: 'Keep',
      layout: { kind: 'row', className: 'conversation-confirm', errorPrefix: 'Could not delete: ' },
    } as const;
    const { rerender } = render(<ConfirmAction {...props} action={action()} />);
    fireEvent.click(screen.getByRole('button', { name: 'Delete “Old chat”' }));
    expect(screen.getByRole('group', { name: 'Confirm deleting “Old chat”' })).toBeInTheDocument();

    rerender(<ConfirmAction {...props} action={action({ isPending: true })} />);
    expect(screen.getByRole('button', { name: 'Deleting…' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Keep' })).toBeDisabled();

    rerender(<ConfirmAction {...props} action={action({ error: new ApiError('The server is busy.', { status: 503 }) })} />);
    expect(screen.getByRole('alert')).toHaveTextContent('Could not delete: The server is busy.');
  });
});
