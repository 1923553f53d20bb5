-- MCP servers as saved credentials (issue 17): a creator saves an MCP server's URL and its
-- token once (envelope-encrypted like provider keys, never shown again, only ever sent to
-- that URL), and names it in an agent's tools.
ALTER TABLE provider_credentials DROP CONSTRAINT provider_credentials_provider_check;
ALTER TABLE provider_credentials ADD CONSTRAINT provider_credentials_provider_check
    CHECK (provider IN ('openai', 'anthropic', 'openai_compatible', 'mcp_server'));
ALTER TABLE provider_credentials DROP CONSTRAINT provider_credentials_base_url_check;
ALTER TABLE provider_credentials ADD CONSTRAINT provider_credentials_base_url_check
    CHECK ((provider IN ('openai_compatible', 'mcp_server')) = (base_url IS NOT NULL));
