//! Creators' side of the catalog: drafts, immutable numbered versions, deprecation,
//! delisting, import and export of `agora.agent/v1` documents, and keeping the search
//! index in step with what is published.

use super::{AgentView, CatalogService, MAX_NOTE_CHARS, VersionView, not_found, version_view};
use crate::{
    Error, Result,
    domain::{AgentSpec, Caller, Licence, RequestOrigin, Slug},
    domain::{
        FieldError,
        json::{self, JsonError},
    },
    ports::{
        AgentRecord, AgentStatus, AuditAction, AuditRecord, CatalogEntry, CreateAgentError,
        NewAgent, VersionRecord, Visibility,
    },
};
use uuid::Uuid;

impl CatalogService {
    /// Creates a draft owned by the caller.
    pub async fn create_agent(
        &self,
        caller: &Caller,
        slug: Option<&str>,
        visibility: Option<Visibility>,
        mut spec: AgentSpec,
    ) -> Result<AgentView> {
        let principal = caller.user()?;
        self.check_spec(caller, &spec, "").await?;
        self.pin_mcp_tools(caller, &mut spec, "").await?;
        let slug = match slug {
            Some(slug) => Slug::parse(slug).map_err(|message| Error::invalid("slug", message))?,
            None => Slug::from_name(&spec.name).ok_or_else(|| {
                Error::invalid("slug", "cannot be made from the name; send one (3 to 48 lower-case letters, digits and hyphens)")
            })?,
        };
        let agent = NewAgent {
            id: Uuid::now_v7(),
            owner_id: principal.user_id,
            slug,
            visibility: visibility.unwrap_or(Visibility::Public),
            draft: spec,
            forked_from: None,
            is_demo: false,
        };
        let record = match self.ports.agents.create_agent(&agent).await {
            Ok(record) => record,
            Err(CreateAgentError::SlugTaken) => {
                return Err(Error::Conflict(format!(
                    "You already have an agent at `{}`; choose another slug.",
                    agent.slug
                )));
            }
            Err(CreateAgentError::Other(error)) => return Err(error),
        };
        Ok(self.view(caller, record, None))
    }

    /// Imports an `agora.agent/v1` document as a new draft. `document` is the raw JSON, so
    /// every failure points at its field.
    pub async fn import_agent(
        &self,
        caller: &Caller,
        slug: Option<&str>,
        document: &[u8],
    ) -> Result<AgentView> {
        caller.user()?;
        let spec: AgentSpec = json::parse(document).map_err(|error| match error {
            JsonError::Shape(error) => Error::Validation(vec![FieldError {
                field: prefixed("definition", &error.field),
                message: error.message,
            }]),
            syntax @ JsonError::Syntax(_) => Error::from(syntax),
        })?;
        let spec = AgentSpec { icon: None, ..spec };
        self.create_agent(caller, slug, Some(Visibility::Private), spec)
            .await
            .map_err(|error| match error {
                Error::Validation(errors) => Error::Validation(
                    errors
                        .into_iter()
                        .map(|e| FieldError {
                            field: if e.field == "slug" {
                                e.field
                            } else {
                                prefixed("definition", &e.field)
                            },
                            message: e.message,
                        })
                        .collect(),
                ),
                other => other,
            })
    }

    /// Replaces the draft and/or the visibility: the owner only.
    pub async fn update_agent(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        mut draft: Option<AgentSpec>,
        visibility: Option<Visibility>,
    ) -> Result<AgentView> {
        let record = self.owned(caller, handle, slug).await?;
        if let Some(draft) = &mut draft {
            self.check_spec(caller, draft, "draft").await?;
            self.pin_mcp_tools(caller, draft, "draft").await?;
        }
        let record = self
            .ports
            .agents
            .update_agent(record.id, draft.as_ref(), visibility)
            .await?;
        let latest = self.latest(&record).await?;
        if visibility.is_some() {
            self.sync_listing(&record, latest.as_ref()).await?;
        }
        Ok(self.view(caller, record, latest))
    }

    /// Publishes the draft as the next version and points `latest` at it.
    pub async fn publish(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        changelog: &str,
    ) -> Result<VersionView> {
        let record = self.owned(caller, handle, slug).await?;
        check_note("changelog", changelog)?;
        self.check_spec(caller, &record.draft, "draft").await?;
        let version = self
            .ports
            .agents
            .publish_version(record.id, changelog.trim())
            .await?;
        let record = self.agent_by_id(record.id).await?;
        self.sync_listing(&record, Some(&version)).await?;
        Ok(version_view(version, true))
    }

    /// Every version, newest first.
    pub async fn list_versions(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
    ) -> Result<Vec<VersionView>> {
        let record = self.visible(caller, handle, slug).await?;
        let owner = caller.user_id() == Some(record.owner_id);
        Ok(self
            .ports
            .directory
            .list_versions(record.id)
            .await?
            .into_iter()
            .map(|version| version_view(version, owner))
            .collect())
    }

    pub async fn get_version(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        version: i32,
    ) -> Result<VersionView> {
        let record = self.visible(caller, handle, slug).await?;
        let owner = caller.user_id() == Some(record.owner_id);
        self.ports
            .directory
            .find_version(record.id, version)
            .await?
            .map(|version| version_view(version, owner))
            .ok_or_else(|| Error::NotFound(format!("This agent has no version {version}.")))
    }

    /// Points `latest` at an earlier (or later) existing version: the owner only.
    pub async fn set_latest(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        version: i32,
    ) -> Result<AgentView> {
        let record = self.owned(caller, handle, slug).await?;
        let target = self
            .ports
            .directory
            .find_version(record.id, version)
            .await?
            .ok_or_else(|| {
                Error::invalid("version", format!("this agent has no version {version}"))
            })?;
        let record = self
            .ports
            .agents
            .set_latest_version(record.id, version)
            .await?;
        self.sync_listing(&record, Some(&target)).await?;
        Ok(self.view(caller, record, Some(target)))
    }

    /// Marks a version deprecated with a note users see: the owner only.
    pub async fn deprecate(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        version: i32,
        note: &str,
    ) -> Result<VersionView> {
        let record = self.owned(caller, handle, slug).await?;
        check_note("note", note)?;
        let deprecated = self
            .ports
            .agents
            .deprecate_version(record.id, version, note.trim())
            .await?
            .ok_or_else(|| Error::NotFound(format!("This agent has no version {version}.")))?;
        self.bump_generation().await;
        Ok(version_view(deprecated, true))
    }

    /// Takes an agent off the marketplace with a reason its owner sees (or puts it back
    /// with `None`): administrators only.
    pub async fn set_delisted(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        reason: Option<&str>,
        origin: &RequestOrigin,
    ) -> Result<AgentView> {
        let admin = caller.admin()?;
        if let Some(reason) = reason {
            check_note("reason", reason)?;
            if reason.trim().is_empty() {
                return Err(Error::invalid("reason", "is required: the owner sees it"));
            }
        }
        let record = self
            .ports
            .directory
            .find_agent(handle, slug)
            .await?
            .ok_or_else(not_found)?;
        let audit = AuditRecord {
            actor_id: Some(admin.user_id),
            action: if reason.is_some() {
                AuditAction::AgentDelisted
            } else {
                AuditAction::AgentRelisted
            },
            subject: Some(format!("{handle}/{slug}")),
            origin: origin.clone(),
            details: serde_json::json!({ "reason": reason }),
        };
        let record = self
            .ports
            .agents
            .set_delisted(record.id, reason.map(str::trim), &audit)
            .await?;
        let latest = self.latest(&record).await?;
        self.sync_listing(&record, latest.as_ref()).await?;
        Ok(self.view(caller, record, latest))
    }

    /// The definition of a version (or the latest) as an `agora.agent/v1` document. Sealed
    /// agents are exported to their owner only.
    pub async fn export(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        version: Option<i32>,
    ) -> Result<AgentSpec> {
        let record = self.visible(caller, handle, slug).await?;
        let owner = caller.user_id() == Some(record.owner_id);
        let spec = match version.or(record.latest_version) {
            Some(version) => {
                self.ports
                    .directory
                    .find_version(record.id, version)
                    .await?
                    .ok_or_else(|| {
                        Error::NotFound(format!("This agent has no version {version}."))
                    })?
                    .spec
            }
            None if owner => record.draft,
            None => return Err(not_found()),
        };
        if spec.licence == Licence::Sealed && !owner {
            return Err(Error::Forbidden(
                "This agent is sealed: only its creator can export its definition.".into(),
            ));
        }
        Ok(spec)
    }

    // ---- rules -----------------------------------------------------------------------

    /// Validates a definition and checks its category exists; errors carry `prefix`.
    pub(super) async fn check_spec(
        &self,
        caller: &Caller,
        spec: &AgentSpec,
        prefix: &str,
    ) -> Result<()> {
        let mut errors = spec.validate();
        if let Some(icon) = &spec.icon
            && let Err(error) = self
                .ports
                .uploads
                .claim(caller, icon, crate::ports::UploadPurpose::AgentIcon, "icon")
                .await
        {
            match error {
                Error::Validation(mut icon_errors) => errors.append(&mut icon_errors),
                other => return Err(other),
            }
        }
        if let Some(user_id) = caller.user_id() {
            let credentials = &self.ports.credentials;
            let models = std::iter::once((
                "model".to_owned(),
                spec.model.provider,
                &spec.model.endpoint,
            ))
            .chain(spec.model.fallbacks.iter().enumerate().map(
                |(index, fallback)| {
                    (
                        format!("model.fallbacks[{index}]"),
                        fallback.provider,
                        &fallback.endpoint,
                    )
                },
            ));
            for (field, provider, endpoint) in models {
                if let (crate::domain::models::Provider::OpenaiCompatible, Some(endpoint)) =
                    (provider, endpoint)
                    && !credentials.has_endpoint(user_id, endpoint).await?
                {
                    errors.push(FieldError {
                        field: format!("{field}.endpoint"),
                        message: format!(
                            "you have no endpoint named `{endpoint}`; add it with POST /v1/me/provider-keys"
                        ),
                    });
                }
            }
            for (index, tool) in spec.tools.iter().enumerate() {
                if let crate::domain::agent_tools::AgentTool::Mcp { server, .. } = tool
                    && !credentials.has_mcp_server(user_id, server).await?
                {
                    errors.push(FieldError {
                        field: format!("tools[{index}].server"),
                        message: format!(
                            "you have no MCP server named `{server}`; add it with POST /v1/me/provider-keys (provider `mcp_server`)"
                        ),
                    });
                }
            }
        }
        if !spec.category.trim().is_empty() {
            let categories = self.ports.categories.list_categories().await?;
            if !categories.iter().any(|c| c.slug == spec.category) {
                let known: Vec<&str> = categories.iter().map(|c| c.slug.as_str()).collect();
                errors.push(FieldError {
                    field: "category".into(),
                    message: format!(
                        "`{}` is not a category; use one of: {}",
                        spec.category,
                        known.join(", ")
                    ),
                });
            }
        }
        if errors.is_empty() {
            return Ok(());
        }
        Err(Error::Validation(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: prefixed(prefix, &e.field),
                    message: e.message,
                })
                .collect(),
        ))
    }

    /// Lists the agent's `latest` version when it is published and public, unlists it
    /// otherwise, and invalidates cached listings.
    pub(super) async fn sync_listing(
        &self,
        record: &AgentRecord,
        latest: Option<&VersionRecord>,
    ) -> Result<()> {
        let listable =
            record.status == AgentStatus::Published && record.visibility == Visibility::Public;
        match (listable, latest) {
            (true, Some(version)) => {
                let embedding = self
                    .ports
                    .embedder
                    .embed(&[version.spec.searchable_text()])
                    .await?
                    .pop()
                    .ok_or_else(|| Error::Internal("the embedder returned nothing".into()))?;
                self.ports
                    .index
                    .index_agents(&[CatalogEntry {
                        agent_id: record.id,
                        owner_id: record.owner_id,
                        spec: version.spec.clone(),
                        published_at: record.published_at.unwrap_or(version.created_at),
                        embedding,
                    }])
                    .await?;
            }
            _ => self.ports.index.remove_agent(record.id).await?,
        }
        self.bump_generation().await;
        Ok(())
    }
}

pub(super) fn check_note(field: &str, note: &str) -> Result<()> {
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(())
}

pub(super) fn prefixed(prefix: &str, field: &str) -> String {
    match (prefix.is_empty(), field.is_empty()) {
        (true, _) => field.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{field}"),
    }
}
