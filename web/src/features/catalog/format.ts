import type { Licence, Provider, Visibility, AgentStatus } from './api';

/** Readable names of the model providers; anything unknown is shown as given. */
const PROVIDER_LABELS: Record<Provider, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  bedrock: 'Amazon Bedrock',
  agora: 'Agora (offline)',
  openai_compatible: 'Creator endpoint',
};

export function providerLabel(provider: string): string {
  return (PROVIDER_LABELS as Record<string, string | undefined>)[provider] ?? provider;
}

export const LICENCE_LABELS: Record<Licence, string> = { open: 'Open', sealed: 'Sealed' };

export function licenceLabel(licence: string): string {
  return (LICENCE_LABELS as Record<string, string | undefined>)[licence] ?? licence;
}

export const VISIBILITY_LABELS: Record<Visibility, string> = {
  public: 'Public',
  unlisted: 'Unlisted',
  private: 'Private',
};

export const STATUS_LABELS: Record<AgentStatus, string> = {
  draft: 'Draft',
  published: 'Published',
  delisted: 'Delisted',
};

let languageNames: Intl.DisplayNames | null | undefined;

/** "English" for `en`, "Portuguese (Brazil)" for `pt-BR`; the tag itself when the browser cannot name it. */
export function languageLabel(tag: string): string {
  if (languageNames === undefined) {
    try {
      languageNames = new Intl.DisplayNames(['en'], { type: 'language' });
    } catch {
      languageNames = null;
    }
  }
  try {
    return languageNames?.of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/** "Free" for zero, else "0.05 credits per run" (the API sends exact decimal strings). */
export function formatPrice(price: string): string {
  const value = Number(price);
  if (!Number.isFinite(value) || value === 0) return 'Free';
  return `${price} ${value === 1 ? 'credit' : 'credits'} per run`;
}

/** The short form for badges: "Free" or "0.05 cr". */
export function formatPriceShort(price: string): string {
  const value = Number(price);
  if (!Number.isFinite(value) || value === 0) return 'Free';
  return `${price} cr`;
}

/** A stable hue (0-359) from any text, for monogram icons. */
export function hueOf(text: string): number {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 360;
  return hash;
}

/** Up to two letters that stand for a name: "CR" for "Contract Reviewer". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((word) => [...word][0] ?? '');
  return letters.join('').toUpperCase() || '?';
}
