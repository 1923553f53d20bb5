/** Catalog wire data as the API sends it, for the marketplace tests. */

export const CREATED = '2026-03-01T10:00:00Z';

export function cardBody(overrides: Record<string, unknown> = {}) {
  const slug = typeof overrides.slug === 'string' ? overrides.slug : 'contract-reviewer';
  const handle = typeof overrides.handle === 'string' ? overrides.handle : 'agora-demo';
  return {
    id: `card-${handle}-${slug}`,
    address: `${handle}/${slug}`,
    handle,
    slug,
    name: 'Contract Reviewer',
    summary: 'Finds risky clauses in contracts.',
    category: 'legal',
    tags: ['contracts', 'legal'],
    icon: null,
    licence: 'open',
    price_per_run: '0.05',
    provider: 'agora',
    model: 'echo',
    latest_version: 2,
    save_count: 12,
    fork_count: 3,
    run_count: 40,
    view_count: 120,
    is_demo: true,
    published_at: CREATED,
    creator_name: 'Agora Demo',
    ...overrides,
  };
}

export const facetsBody = {
  category: [
    { value: 'legal', count: 2 },
    { value: 'coding', count: 1 },
  ],
  tags: [
    { value: 'contracts', count: 2 },
    { value: 'legal', count: 1 },
  ],
  provider: [{ value: 'agora', count: 3 }],
  language: [{ value: 'en', count: 3 }],
  licence: [
    { value: 'open', count: 2 },
    { value: 'sealed', count: 1 },
  ],
};

export function pageBody(agents: unknown[], extra: Record<string, unknown> = {}) {
  return { agents, next_cursor: null, facets: facetsBody, embedding_model: null, ...extra };
}

export const categoriesBody = {
  categories: [
    { slug: 'legal', name: 'Legal', description: 'Contracts', position: 60, agent_count: 2 },
    { slug: 'coding', name: 'Coding', description: 'Code', position: 20, agent_count: 1 },
    { slug: 'productivity', name: 'Productivity', description: 'Tasks', position: 90, agent_count: 0 },
  ],
};

export const modelsBody = {
  models: [
    { provider: 'openai', name: 'gpt-4o-mini', max_output_tokens: 16384 },
    { provider: 'anthropic', name: 'claude-3-5-haiku-latest', max_output_tokens: 8192 },
    { provider: 'agora', name: 'echo', max_output_tokens: 4096 },
  ],
};

export function specBody(overrides: Record<string, unknown> = {}) {
  return {
    format: 'agora.agent/v1',
    name: 'Contract Reviewer',
    summary: 'Finds risky clauses in contracts.',
    description: '# Contract Reviewer\n\nPaste a **contract**.',
    category: 'legal',
    tags: ['contracts', 'legal'],
    language: 'en',
    icon: null,
    examples: {
      prompts: ['Review this NDA'],
      conversations: [
        [
          { role: 'user', content: 'Is clause 4 risky?' },
          { role: 'assistant', content: 'Yes: it is unlimited.' },
        ],
      ],
    },
    system_prompt: 'You are a careful lawyer.',
    inputs: [{ name: 'contract', label: 'Contract', type: 'long_text', required: true, options: [] }],
    model: {
      provider: 'agora',
      name: 'echo',
      parameters: { temperature: 0.2, top_p: null, max_tokens: 1024 },
      fallbacks: [{ provider: 'openai', name: 'gpt-4o-mini' }],
    },
    tools: [],
    knowledge: [],
    price_per_run: '0.05',
    licence: 'open',
    ...overrides,
  };
}

export function versionBody(version: number, overrides: Record<string, unknown> = {}) {
  return {
    version,
    spec: specBody(),
    sealed: false,
    changelog: `Changes of v${version}`,
    created_at: CREATED,
    deprecated_at: null,
    deprecation_note: null,
    ...overrides,
  };
}

export function summaryBody(overrides: Record<string, unknown> = {}) {
  return {
    id: '0196f5a2-0000-7000-8000-00000000a001',
    address: 'agora-demo/contract-reviewer',
    handle: 'agora-demo',
    slug: 'contract-reviewer',
    creator_name: 'Agora Demo',
    visibility: 'public',
    status: 'published',
    delist_reason: null,
    latest_version: 2,
    forked_from: null,
    fork_count: 3,
    save_count: 12,
    view_count: 120,
    run_count: 40,
    is_demo: true,
    created_at: CREATED,
    updated_at: CREATED,
    published_at: CREATED,
    ...overrides,
  };
}

export function agentViewBody(overrides: Record<string, unknown> = {}) {
  return {
    agent: summaryBody(),
    latest: versionBody(2),
    draft: null,
    is_owner: false,
    ...overrides,
  };
}
