import { useEffect, useState, type RefObject } from 'react';
import { ApiError, errorMessage, type FieldErrors } from '../../api/problem';

/** What a form shows for a failed submit: messages next to its fields, and one for the form. */
export interface FormErrors {
  /** Per-field messages, only for fields the form has. */
  fields: FieldErrors;
  /** The message for the whole form (a problem with no field errors, or errors for fields the form does not show); null when the field messages say it all. */
  form: string | null;
  /** The request id to quote, when the server gave one. */
  requestId: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, form: null, requestId: null };

/**
 * Splits an error from a submit into field and form messages. `fields` are the names the
 * API uses for this form's inputs (`email`, `display_name`, ...).
 */
export function formErrorsFrom(error: unknown, fields: readonly string[]): FormErrors {
  if (error == null) return NO_ERRORS;
  if (!(error instanceof ApiError)) return { fields: {}, form: errorMessage(error), requestId: null };
  const shown: FieldErrors = {};
  const elsewhere: string[] = [];
  for (const [field, messages] of Object.entries(error.fieldErrors)) {
    if (fields.includes(field)) shown[field] = messages;
    else elsewhere.push(...messages.map((message) => `${field}: ${message}`));
  }
  const hasFieldMessages = Object.keys(shown).length > 0;
  const form = hasFieldMessages && elsewhere.length === 0 ? null : [error.message, ...elsewhere].join(' ');
  return { fields: shown, form, requestId: error.requestId };
}

/** Client-side checks and server errors in one shape: field messages from either, the form message from the server. */
export function mergeErrors(local: FieldErrors, server: FormErrors): FormErrors {
  return Object.keys(local).length > 0 ? { ...NO_ERRORS, fields: local } : server;
}

/** The password rules of the API: 10 characters to 256 bytes (UTF-8). */
export const PASSWORD_MIN_CHARS = 10;
export const PASSWORD_MAX_BYTES = 256;
export const PASSWORD_RULES = `At least ${PASSWORD_MIN_CHARS} characters and at most ${PASSWORD_MAX_BYTES} bytes; not a common password, and not your email.`;

/** The message for a password that breaks the length rules, or null. The server checks the rest. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < PASSWORD_MIN_CHARS) return `Use at least ${PASSWORD_MIN_CHARS} characters.`;
  if (new TextEncoder().encode(password).length > PASSWORD_MAX_BYTES) {
    return `Use at most ${PASSWORD_MAX_BYTES} bytes (fewer characters, or fewer accented or emoji ones).`;
  }
  return null;
}

/**
 * Seconds left before the form may be sent again after a 429 (from its Retry-After), and
 * the function to call with each submit error to start the count-down.
 */
function useCooldown(): [secondsLeft: number, startFrom: (error: unknown) => void] {
  const [secondsLeft, setSecondsLeft] = useState(0);
  useEffect(() => {
    if (secondsLeft <= 0) return;
    const timer = setTimeout(() => setSecondsLeft((left) => left - 1), 1000);
    return () => clearTimeout(timer);
  }, [secondsLeft]);
  const startFrom = (error: unknown) => {
    if (error instanceof ApiError && error.status === 429 && error.retryAfterSeconds) {
      setSecondsLeft(error.retryAfterSeconds);
    }
  };
  return [secondsLeft, startFrom];
}

/** Moves focus to the first invalid field of `form`, so a screen reader reads its error. */
export function focusFirstInvalid(form: HTMLFormElement | null) {
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

/**
 * What a form does when its submit fails: the seconds to wait after a 429 (for
 * SubmitButton), and the `onError` that starts that count-down and, once the errors have
 * rendered, moves the focus to the first invalid field.
 */
export function useSubmitFailure(
  formRef: RefObject<HTMLFormElement | null>,
): [cooldown: number, onError: (error: unknown) => void] {
  const [cooldown, startCooldown] = useCooldown();
  const onError = (error: unknown) => {
    startCooldown(error);
    // After the error renders, so the invalid field exists.
    setTimeout(() => focusFirstInvalid(formRef.current));
  };
  return [cooldown, onError];
}

