import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { agentViewBody, categoriesBody, modelsBody, specBody, summaryBody, versionBody } from '../../test/catalogFixtures';
import { jsonResponse, mockRoutes, problemResponse, sessionBody, userBody } from '../../test/fixtures';
import { renderApp } from '../../test/render';

function credential(id: string, name: string, provider: string, baseUrl: string | null = null) {
  return { id, name, provider, base_url: baseUrl, key_last_four: '', created_at: '2026-03-01T10:00:00Z' };
}

const myOpenAi = credential('k1', 'my-openai', 'openai');
const calcServer = credential('k2', 'calc', 'mcp_server', 'https://mcp.example.com/mcp');
const docsServer = credential('k3', 'docs', 'mcp_server', 'https://docs.example.com/mcp');

const signedIn = {
  'POST /v1/auth/refresh': () => jsonResponse(sessionBody()),
  'GET /v1/me': () => jsonResponse(userBody),
  'GET /v1/llm-models': () => jsonResponse(modelsBody),
  'GET /v1/categories': () => jsonResponse(categoriesBody),
  'GET /v1/me/provider-keys': () => jsonResponse({ provider_keys: [myOpenAi] }),
};

/** The input (or select, or textarea) for an API field path. */
function control(path: string): HTMLElement {
  const element = document.querySelector<HTMLElement>(`[name="${path}"]`);
  if (!element) throw new Error(`no control named ${path}`);
  return element;
}

function type(path: string, value: string) {
  fireEvent.change(control(path), { target: { value } });
}

const mine = summaryBody({
  address: 'ada/contract-helper',
  handle: 'ada',
  slug: 'contract-helper',
  creator_name: 'Ada Lovelace',
  is_demo: false,
  latest_version: 2,
});

describe('the agent editor', () => {
  it('puts every field error of a failed create on the input it names', async () => {
    const posted: unknown[] = [];
    mockRoutes({
      ...signedIn,
      'POST /v1/agents': async (request) => {
        posted.push(await request.json());
        return problemResponse(422, 'validation', 'Validation failed', '6 fields are invalid', [
          { field: 'definition.inputs[1].name', message: 'is used by another field' },
          { field: 'definition.tags[0]', message: 'must be 2 to 32 lower-case letters, digits or hyphens' },
          { field: 'definition.model.name', message: '`echo` is not a agora model Agora knows' },
          { field: 'definition.model.fallbacks[0].name', message: '`gpt-4o-mini` is not a openai model' },
          { field: 'definition.examples.prompts[0]', message: 'must not contain control characters' },
          { field: 'definition.knowledge', message: 'knowledge is not supported yet; send an empty list' },
        ]);
      },
    });
    renderApp('/studio/new');
    const editor = await screen.findByTestId('agent-editor');

    type('name', 'Contract Helper');
    type('summary', 'Reads contracts.');
    fireEvent.change(control('category'), { target: { value: 'legal' } });
    const tags = within(screen.getByTestId('tag-input')).getByRole('textbox');
    fireEvent.change(tags, { target: { value: 'Legal Stuff' } });
    fireEvent.keyDown(tags, { key: 'Enter' });
    expect(within(screen.getByTestId('tag-input')).getAllByTestId('tag-chip')).toHaveLength(1);
    fireEvent.click(within(editor).getByRole('button', { name: '+ Add a prompt' }));
    type('examples.prompts[0]', 'Review my lease');
    fireEvent.click(within(editor).getByRole('button', { name: '+ Add a field' }));
    fireEvent.click(within(editor).getByRole('button', { name: '+ Add a field' }));
    type('inputs[0].name', 'topic');
    type('inputs[0].label', 'Topic');
    type('inputs[1].name', 'topic2');
    type('inputs[1].label', 'Topic again');
    fireEvent.click(within(editor).getByRole('button', { name: '+ Add a fallback' }));
    // The built-in tools, each with what it does; switched on in this order.
    const tools = screen.getByTestId('tools-editor');
    const boxes = within(tools).getAllByRole<HTMLInputElement>('checkbox');
    expect(boxes.map((box) => [box.value, box.checked])).toEqual([
      ['fetch_page', false],
      ['current_time', false],
    ]);
    expect(boxes[0]).toHaveAccessibleName('Fetch web pages fetch_page');
    expect(boxes[0]).toHaveAccessibleDescription(
      'Reads a public web page as text (public addresses only, through Agora’s egress guard)',
    );
    expect(boxes[1]).toHaveAccessibleName('Current time current_time');
    expect(boxes[1]).toHaveAccessibleDescription('The current date and time (UTC)');
    fireEvent.click(boxes[1]!);
    fireEvent.click(boxes[0]!);
    // The live preview follows the form.
    expect(screen.getByTestId('listing-preview')).toHaveTextContent('Contract Helper');

    fireEvent.click(screen.getByRole('button', { name: 'Create draft' }));

    expect(await screen.findByTestId('field-error-inputs[1].name')).toHaveTextContent('is used by another field');
    expect(control('inputs[1].name')).toHaveAttribute('aria-invalid', 'true');
    expect(control('inputs[0].name')).not.toHaveAttribute('aria-invalid');
    expect(screen.getByTestId('field-error-tags')).toHaveTextContent('“legal-stuff”: must be 2 to 32');
    expect(within(screen.getByTestId('tag-input')).getByTestId('tag-chip')).toHaveClass('is-invalid');
    expect(screen.getByTestId('field-error-model.name')).toHaveTextContent('is not a agora model');
    expect(control('model.name')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('field-error-model.fallbacks[0].name')).toHaveTextContent('is not a openai model');
    expect(screen.getByTestId('field-error-examples.prompts[0]')).toHaveTextContent('control characters');
    // A path the form has no input for is said at the top, with its path.
    expect(screen.getByTestId('form-error')).toHaveTextContent('knowledge: knowledge is not supported yet');
    // The first invalid input takes the focus.
    await waitFor(() => expect(document.activeElement?.getAttribute('aria-invalid')).toBe('true'));

    expect(posted).toHaveLength(1);
    const body = posted[0] as { slug?: string; visibility: string; definition: Record<string, unknown> };
    expect(body.slug).toBeUndefined();
    expect(body.visibility).toBe('public');
    expect(body.definition).toMatchObject({
      format: 'agora.agent/v1',
      name: 'Contract Helper',
      category: 'legal',
      tags: ['legal-stuff'],
      examples: { prompts: ['Review my lease'], conversations: [] },
      inputs: [
        { name: 'topic', label: 'Topic', type: 'text', required: false, options: [] },
        { name: 'topic2', label: 'Topic again', type: 'text', required: false, options: [] },
      ],
      model: { provider: 'agora', name: 'echo', fallbacks: [{ provider: 'openai', name: 'gpt-4o-mini' }] },
      tools: [
        { type: 'builtin', name: 'current_time' },
        { type: 'builtin', name: 'fetch_page' },
      ],
    });
  });

  it('loads the tools of a draft, shows the server’s error on the tool it names, and saves the tools', async () => {
    // Declared twice (a definition sent to the API by hand): the server says which one.
    const twice = [
      { type: 'builtin', name: 'fetch_page' },
      { type: 'builtin', name: 'fetch_page' },
    ];
    const view = agentViewBody({ agent: mine, draft: specBody({ tools: twice }), is_owner: true });
    const patches: { definition: { tools: unknown[] } }[] = [];
    mockRoutes({
      ...signedIn,
      'GET /v1/agents/ada/contract-helper': () => jsonResponse(view),
      'GET /v1/agents/ada/contract-helper/versions': () => jsonResponse({ versions: [versionBody(2)] }),
      'PATCH /v1/agents/ada/contract-helper': async (request) => {
        const body = (await request.json()) as { definition: { tools: { name: string }[] } };
        patches.push(body);
        const names = body.definition.tools.map((tool) => tool.name);
        if (new Set(names).size < names.length) {
          return problemResponse(422, 'validation', 'Validation failed', '1 field is invalid', [
            { field: 'draft.tools[1]', message: 'is declared twice' },
          ]);
        }
        return jsonResponse(view);
      },
    });
    renderApp('/studio/agents/ada/contract-helper');
    const tools = await screen.findByTestId('tools-editor');
    const fetchPage = within(tools).getByRole('checkbox', { name: /Fetch web pages/ });
    const currentTime = within(tools).getByRole('checkbox', { name: /Current time/ });
    expect(fetchPage).toBeChecked();
    expect(currentTime).not.toBeChecked();

    // Saved as loaded, the duplicate is refused, and the message is on the tool's checkbox.
    type('summary', 'Finds risky clauses, with sources.');
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(await within(tools).findByTestId('field-error-tools[1]')).toHaveTextContent('is declared twice');
    expect(fetchPage).toHaveAttribute('aria-invalid', 'true');
    expect(patches[0]?.definition.tools).toEqual(twice);

    // Off and on again: declared once, after the clock, which is switched on first.
    fireEvent.click(fetchPage);
    fireEvent.click(currentTime);
    fireEvent.click(fetchPage);
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(await screen.findByTestId('editor-saved')).toHaveTextContent('Draft saved.');
    expect(patches[1]?.definition.tools).toEqual([
      { type: 'builtin', name: 'current_time' },
      { type: 'builtin', name: 'fetch_page' },
    ]);
    expect(within(tools).queryByTestId('field-error-tools[1]')).not.toBeInTheDocument();
  });

  it('checks the form before sending it', async () => {
    const fetchMock = mockRoutes(signedIn);
    renderApp('/studio/new');
    await screen.findByTestId('agent-editor');
    fireEvent.click(screen.getByRole('button', { name: 'Create draft' }));
    expect(await screen.findByTestId('field-error-name')).toHaveTextContent('Give the agent a name.');
    expect(screen.getByTestId('field-error-category')).toHaveTextContent('Choose a category.');
    expect(fetchMock.mock.calls.some(([input]) => (input as Request).method === 'POST' && (input as Request).url.endsWith('/v1/agents'))).toBe(false);
  });

  it('creates the draft and opens it in the editor', async () => {
    const created = agentViewBody({
      agent: summaryBody({ ...mine, status: 'draft', latest_version: null, published_at: null }),
      latest: null,
      draft: specBody({ name: 'Contract Helper' }),
      is_owner: true,
    });
    mockRoutes({
      ...signedIn,
      'POST /v1/agents': () => jsonResponse(created, 201),
      'GET /v1/agents/ada/contract-helper': () => jsonResponse(created),
    });
    const page = renderApp('/studio/new');
    await screen.findByTestId('agent-editor');
    type('name', 'Contract Helper');
    type('summary', 'Reads contracts.');
    fireEvent.change(control('category'), { target: { value: 'legal' } });
    type('slug', 'contract-helper');
    fireEvent.click(screen.getByRole('button', { name: 'Create draft' }));
    await waitFor(() => expect(page.router.state.location.pathname).toBe('/studio/agents/ada/contract-helper'));
    expect(await screen.findByTestId('arrival-notice')).toHaveTextContent('Draft created');
    expect(screen.getByTestId('agent-status')).toHaveTextContent('Draft');
    expect(screen.getByRole('button', { name: 'Publish version 1' })).toBeInTheDocument();
  });

  it('maps draft. errors of an edit, then saves and publishes with the changelog', async () => {
    const view = agentViewBody({ agent: mine, draft: specBody(), is_owner: true });
    const patches: unknown[] = [];
    const published: unknown[] = [];
    mockRoutes({
      ...signedIn,
      'GET /v1/agents/ada/contract-helper': () => jsonResponse(view),
      'GET /v1/agents/ada/contract-helper/versions': () => jsonResponse({ versions: [versionBody(2), versionBody(1)] }),
      'PATCH /v1/agents/ada/contract-helper': async (request) => {
        const body = (await request.json()) as { definition: { summary: string } };
        patches.push(body);
        if (body.definition.summary === 'x'.repeat(5)) {
          return problemResponse(422, 'validation', 'Validation failed', '1 field is invalid', [
            { field: 'draft.summary', message: 'must not be five x' },
          ]);
        }
        return jsonResponse(view);
      },
      'POST /v1/agents/ada/contract-helper/versions': async (request) => {
        published.push(await request.json());
        return jsonResponse(versionBody(3, { changelog: 'Clearer summary' }), 201);
      },
    });
    renderApp('/studio/agents/ada/contract-helper');
    await screen.findByTestId('agent-editor');
    expect(control('name')).toHaveValue('Contract Reviewer');
    expect(control('inputs[0].name')).toHaveValue('contract');

    type('summary', 'xxxxx');
    fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    expect(await screen.findByTestId('field-error-summary')).toHaveTextContent('must not be five x');
    expect(control('summary')).toHaveAttribute('aria-invalid', 'true');

    type('summary', 'Finds risky clauses, clearly.');
    type('changelog', 'Clearer summary');
    fireEvent.click(screen.getByRole('button', { name: 'Publish version 3' }));
    expect(await screen.findByTestId('editor-saved')).toHaveTextContent('Published version 3.');
    // The changed draft was saved first, then published.
    expect(patches).toHaveLength(2);
    expect(patches[1]).toMatchObject({ visibility: 'public', definition: { summary: 'Finds risky clauses, clearly.' } });
    expect(published).toEqual([{ changelog: 'Clearer summary' }]);
    expect(screen.queryByTestId('field-error-summary')).not.toBeInTheDocument();
  });

  it('rolls back to another version and deprecates one', async () => {
    const view = agentViewBody({ agent: mine, draft: specBody(), is_owner: true });
    const calls: string[] = [];
    mockRoutes({
      ...signedIn,
      'GET /v1/agents/ada/contract-helper': () => jsonResponse(view),
      'GET /v1/agents/ada/contract-helper/versions': () => jsonResponse({ versions: [versionBody(2), versionBody(1)] }),
      'PUT /v1/agents/ada/contract-helper/latest': async (request) => {
        calls.push(`latest ${JSON.stringify(await request.json())}`);
        return jsonResponse(view);
      },
      'PATCH /v1/agents/ada/contract-helper/versions/1': async (request) => {
        calls.push(`deprecate ${JSON.stringify(await request.json())}`);
        return jsonResponse(versionBody(1, { deprecated_at: '2026-03-02T10:00:00Z', deprecation_note: 'Use v2' }));
      },
    });
    renderApp('/studio/agents/ada/contract-helper');
    const panel = await screen.findByTestId('versions-panel');
    fireEvent.change(await within(panel).findByTestId('rollback-select'), { target: { value: '1' } });
    fireEvent.click(within(panel).getByTestId('rollback'));
    expect(await within(panel).findByText('Version 1 is now the latest.')).toBeInTheDocument();

    fireEvent.click(within(panel).getByTestId('deprecate-v1'));
    fireEvent.change(within(panel).getByLabelText('Why (shown to its users)'), { target: { value: 'Use v2' } });
    fireEvent.click(within(panel).getByRole('button', { name: 'Deprecate v1' }));
    await waitFor(() =>
      expect(calls).toEqual(['latest {"version":1}', 'deprecate {"deprecated":true,"deprecation_note":"Use v2"}']),
    );
  });
});

describe('the MCP servers of the agent editor', () => {
  const schema = (property: string) => ({ type: 'object', properties: { [property]: { type: 'string' } } });
  /** What the `calc` and `docs` servers say their tools do. */
  const SERVER_TOOLS: Record<string, Record<string, string>> = {
    calc: { add: 'Adds two numbers.', shout: 'Says the text in capitals.' },
    docs: { search: 'Searches the docs.' },
  };
  type Tool = { type: string; name?: string; server?: string; tools?: { name: string; description?: string; input_schema?: unknown }[] };

  /** The API of an agent whose draft declares `tools`: a PATCH pins each MCP tool, or fails as the real server would. */
  function editorApi(tools: Tool[], keys = [myOpenAi, calcServer, docsServer]) {
    let view = agentViewBody({ agent: mine, draft: specBody({ tools }), is_owner: true });
    const patches: { definition: { tools: Tool[] } }[] = [];
    mockRoutes({
      ...signedIn,
      'GET /v1/me/provider-keys': () => jsonResponse({ provider_keys: keys }),
      'GET /v1/agents/ada/contract-helper': () => jsonResponse(view),
      'GET /v1/agents/ada/contract-helper/versions': () => jsonResponse({ versions: [versionBody(2)] }),
      'PATCH /v1/agents/ada/contract-helper': async (request) => {
        const body = (await request.json()) as { definition: { tools: Tool[] } };
        patches.push(structuredClone(body));
        const errors: { field: string; message: string }[] = [];
        const pinned = body.definition.tools.map((tool, index) => {
          if (tool.type !== 'mcp') return tool;
          const listed = SERVER_TOOLS[tool.server ?? ''];
          if (!keys.some((key) => key.provider === 'mcp_server' && key.name === tool.server) || !listed) {
            errors.push({
              field: `draft.tools[${index}].server`,
              message: `you have no MCP server named \`${tool.server}\`; add it with POST /v1/me/provider-keys (provider \`mcp_server\`)`,
            });
            return tool;
          }
          return {
            ...tool,
            tools: (tool.tools ?? []).map((item, position) => {
              const description = listed[item.name];
              if (description === undefined) {
                errors.push({
                  field: `draft.tools[${index}].tools[${position}].name`,
                  message: `\`${tool.server}\` has no tool \`${item.name}\`; it has: ${Object.keys(listed).join(', ')}`,
                });
                return item;
              }
              return { name: item.name, description, input_schema: schema(item.name) };
            }),
          };
        });
        if (errors.length > 0) return problemResponse(422, 'validation', 'Validation failed', 'Some fields are invalid', errors);
        view = agentViewBody({ agent: mine, draft: { ...body.definition, tools: pinned }, is_owner: true });
        return jsonResponse(view);
      },
    });
    return { patches };
  }

  const save = () => fireEvent.click(screen.getByRole('button', { name: 'Save draft' }));

  it('adds an MCP server with two tools, saves them in the declared order, then shows what the server says they do', async () => {
    const { patches } = editorApi([{ type: 'builtin', name: 'current_time' }]);
    renderApp('/studio/agents/ada/contract-helper');
    const mcp = await screen.findByTestId('mcp-servers-editor');
    fireEvent.click(await within(mcp).findByRole('button', { name: '+ Add an MCP server' }));
    const source = within(mcp).getByTestId('mcp-source');
    expect(source).toHaveAccessibleName('MCP server 1');
    // The caller's MCP servers, not their other keys; the first is chosen.
    const server = within(source).getByLabelText('Server');
    expect(server).toHaveValue('calc');
    expect(within(server).getAllByRole('option').map((option) => option.textContent)).toEqual([
      'calc (https://mcp.example.com/mcp)',
      'docs (https://docs.example.com/mcp)',
    ]);

    // An unnamed tool is caught before anything is sent.
    save();
    expect(await within(source).findByTestId('field-error-tools[1].tools[0].name')).toHaveTextContent('Write the tool’s name');
    expect(patches).toHaveLength(0);

    fireEvent.change(within(source).getByLabelText('Tool 1'), { target: { value: 'add' } });
    fireEvent.click(within(source).getByRole('button', { name: 'Add a tool to MCP server 1' }));
    fireEvent.change(within(source).getByLabelText('Tool 2'), { target: { value: ' shout ' } });
    // A built-in switched on after the server goes after it.
    fireEvent.click(within(screen.getByTestId('tools-editor')).getByRole('checkbox', { name: /Fetch web pages/ }));
    expect(within(source).queryAllByTestId('mcp-tool-description')).toHaveLength(0);
    save();
    expect(await screen.findByTestId('editor-saved')).toHaveTextContent('Draft saved.');
    // Names only: the server pins descriptions and input schemas.
    expect(patches[0]?.definition.tools).toEqual([
      { type: 'builtin', name: 'current_time' },
      { type: 'mcp', server: 'calc', tools: [{ name: 'add' }, { name: 'shout' }] },
      { type: 'builtin', name: 'fetch_page' },
    ]);

    // What the server pinned shows under each name, as text.
    const descriptions = await within(source).findAllByTestId('mcp-tool-description');
    expect(descriptions.map((item) => item.textContent)).toEqual(['Adds two numbers.', 'Says the text in capitals.']);
    expect(within(source).getByLabelText('Tool 1')).toHaveAccessibleDescription('Adds two numbers.');
    // Taking the pins is no change of the creator's.
    expect(screen.queryByText('Unsaved changes.')).not.toBeInTheDocument();

    // Renamed, a tool loses its pin (pinned again on the next save); the other keeps its own.
    fireEvent.change(within(source).getByLabelText('Tool 2'), { target: { value: 'add2' } });
    expect(within(source).getAllByTestId('mcp-tool-description').map((item) => item.textContent)).toEqual(['Adds two numbers.']);
    fireEvent.change(within(source).getByLabelText('Tool 2'), { target: { value: 'shout' } });
    save();
    await waitFor(() => expect(patches).toHaveLength(2));
    expect(patches[1]?.definition.tools[1]).toEqual({
      type: 'mcp',
      server: 'calc',
      tools: [{ name: 'add', description: 'Adds two numbers.', input_schema: schema('add') }, { name: 'shout' }],
    });
    await waitFor(() => expect(within(source).getAllByTestId('mcp-tool-description')).toHaveLength(2));
  });

  it('puts the server’s errors on the server select and the tool name they name', async () => {
    const { patches } = editorApi([
      { type: 'builtin', name: 'fetch_page' },
      { type: 'mcp', server: 'calc', tools: [{ name: 'add', description: 'Adds two numbers.', input_schema: schema('add') }, { name: 'multiply' }] },
      { type: 'mcp', server: 'old-calc', tools: [{ name: 'sum' }] },
    ]);
    renderApp('/studio/agents/ada/contract-helper');
    const mcp = await screen.findByTestId('mcp-servers-editor');
    const [first, second] = within(mcp).getAllByTestId('mcp-source');
    // A pinned tool shows what it does as soon as the draft loads.
    expect(within(first!).getByTestId('mcp-tool-description')).toHaveTextContent('Adds two numbers.');
    // A server the caller has not saved stays chosen, said to be unknown.
    await waitFor(() => expect(within(second!).getByLabelText('Server')).toHaveDisplayValue('old-calc (not one of your MCP servers)'));

    type('summary', 'Adds things up.');
    save();
    expect(await within(second!).findByTestId('field-error-tools[2].server')).toHaveTextContent(
      'you have no MCP server named `old-calc`',
    );
    expect(control('tools[2].server')).toHaveAttribute('aria-invalid', 'true');
    expect(within(first!).getByTestId('field-error-tools[1].tools[1].name')).toHaveTextContent(
      '`calc` has no tool `multiply`; it has: add, shout',
    );
    expect(control('tools[1].tools[1].name')).toHaveAttribute('aria-invalid', 'true');
    expect(control('tools[1].tools[0].name')).not.toHaveAttribute('aria-invalid');
    expect(control('tools[1].server')).not.toHaveAttribute('aria-invalid');
    // Every message has its field: the top says so, without listing paths.
    expect(screen.getByTestId('form-error')).toHaveTextContent('See the messages next to the fields.');
    expect(screen.getByTestId('form-error')).not.toHaveTextContent('tools[');
    await waitFor(() => expect(document.activeElement).toBe(control('tools[1].tools[1].name')));

    fireEvent.change(control('tools[1].tools[1].name'), { target: { value: 'shout' } });
    fireEvent.change(control('tools[2].server'), { target: { value: 'docs' } });
    fireEvent.change(control('tools[2].tools[0].name'), { target: { value: 'search' } });
    save();
    expect(await screen.findByTestId('editor-saved')).toHaveTextContent('Draft saved.');
    expect(patches[1]?.definition.tools.map((tool) => tool.server ?? tool.type)).toEqual(['builtin', 'calc', 'docs']);
    expect(screen.queryByTestId('form-error')).not.toBeInTheDocument();
    expect(await within(second!).findByTestId('mcp-tool-description')).toHaveTextContent('Searches the docs.');
  });

  it('removes a server and a tool, keeping the other tools in their order', async () => {
    const { patches } = editorApi([
      { type: 'mcp', server: 'calc', tools: [{ name: 'add', description: 'Adds two numbers.', input_schema: schema('add') }] },
      { type: 'builtin', name: 'fetch_page' },
      {
        type: 'mcp',
        server: 'docs',
        tools: [{ name: 'search', description: 'Searches the docs.', input_schema: schema('search') }, { name: 'fetch' }],
      },
    ]);
    renderApp('/studio/agents/ada/contract-helper');
    const mcp = await screen.findByTestId('mcp-servers-editor');
    expect(within(mcp).getAllByTestId('mcp-source')).toHaveLength(2);
    fireEvent.click(within(mcp).getByRole('button', { name: 'Remove MCP server 1' }));
    const sources = within(mcp).getAllByTestId('mcp-source');
    expect(sources).toHaveLength(1);
    expect(sources[0]).toHaveAccessibleName('MCP server 1');
    expect(within(sources[0]!).getByLabelText('Server')).toHaveValue('docs');
    fireEvent.click(within(sources[0]!).getByRole('button', { name: 'Remove tool 2 of MCP server 1' }));
    expect(within(sources[0]!).getAllByTestId('mcp-tool')).toHaveLength(1);
    save();
    expect(await screen.findByTestId('editor-saved')).toHaveTextContent('Draft saved.');
    expect(patches[0]?.definition.tools).toEqual([
      { type: 'builtin', name: 'fetch_page' },
      { type: 'mcp', server: 'docs', tools: [{ name: 'search', description: 'Searches the docs.', input_schema: schema('search') }] },
    ]);
  });

  it('says to add an MCP server first when the user has none', async () => {
    editorApi([{ type: 'mcp', server: 'calc', tools: [{ name: 'add' }] }], [myOpenAi]);
    renderApp('/studio/agents/ada/contract-helper');
    const mcp = await screen.findByTestId('mcp-servers-editor');
    const empty = await within(mcp).findByTestId('no-mcp-servers');
    expect(empty).toHaveTextContent('You have no MCP server yet. Add one first on the provider keys page');
    expect(within(empty).getByRole('link', { name: /provider keys page/ })).toHaveAttribute('href', '/account/provider-keys');
    expect(within(mcp).queryByRole('button', { name: '+ Add an MCP server' })).not.toBeInTheDocument();
    // What the draft declares stays, and can be removed.
    const source = within(mcp).getByTestId('mcp-source');
    expect(within(source).getByLabelText('Server')).toHaveDisplayValue('calc (not one of your MCP servers)');
    fireEvent.click(within(source).getByRole('button', { name: 'Remove MCP server 1' }));
    expect(within(mcp).queryByTestId('mcp-source')).not.toBeInTheDocument();
  });
});
