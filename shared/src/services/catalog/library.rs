//! Users' side of the catalog: their own agents, their saved agents (optionally pinned),
//! forks, and the agents they may run.

use super::search::{CatalogQuery, PageStart};
use super::{AgentView, CatalogService, MAX_PAGE_SIZE, SavedView, may_see, not_found, search};
use crate::{
    Error, Result,
    domain::{AgentSpec, Caller, Licence, Slug},
    ports::{
        AgentRecord, CatalogFilters, CatalogSort, CreateAgentError, NewAgent, SavedRecord,
        SearchMode, Visibility,
    },
};
use uuid::Uuid;

impl CatalogService {
    /// Copies an open agent's latest version into a private draft of the caller's.
    pub async fn fork(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        new_slug: Option<&str>,
    ) -> Result<AgentView> {
        let principal = caller.user()?;
        let source = self.visible(caller, handle, slug).await?;
        let Some(version) = self.latest(&source).await? else {
            return Err(Error::Conflict(
                "This agent has no published version to fork yet.".into(),
            ));
        };
        if version.spec.licence == Licence::Sealed {
            return Err(Error::Forbidden(
                "This agent is sealed: its creator does not allow forks.".into(),
            ));
        }
        let wanted = match new_slug {
            Some(slug) => {
                vec![Slug::parse(slug).map_err(|message| Error::invalid("slug", message))?]
            }
            None => {
                let base = Slug::parse(&source.slug).map_err(Error::Internal)?;
                std::iter::once(base.clone())
                    .chain(
                        (2..=20)
                            .filter_map(|n| Slug::parse(&format!("{}-{n}", base.as_str())).ok()),
                    )
                    .collect()
            }
        };
        for slug in wanted {
            let fork = NewAgent {
                id: Uuid::now_v7(),
                owner_id: principal.user_id,
                slug,
                visibility: Visibility::Private,
                draft: AgentSpec {
                    icon: None,
                    ..version.spec.clone()
                },
                forked_from: Some((source.id, version.version)),
                is_demo: false,
            };
            match self.ports.agents.create_fork(&fork).await {
                Ok(record) => {
                    self.bump_generation().await;
                    return Ok(self.view(caller, record, None));
                }
                Err(CreateAgentError::SlugTaken) => {}
                Err(CreateAgentError::Other(error)) => return Err(error),
            }
        }
        Err(Error::Conflict(
            "You already have agents at this slug and its numbered variants; send a `slug` for the fork.".into(),
        ))
    }

    /// The caller's agents, drafts included, most recently changed first.
    pub async fn my_agents(&self, caller: &Caller) -> Result<Vec<AgentView>> {
        let principal = caller.user()?;
        let records = self
            .ports
            .agents
            .list_owned_agents(principal.user_id)
            .await?;
        Ok(records
            .into_iter()
            .map(|record| self.view(caller, record, None))
            .collect())
    }

    /// The agents the caller may run, as `(address, creator handle, published or created
    /// at)`: their own, their saved ones still visible, then the most used listed ones, at
    /// most `limit` in all.
    pub async fn runnable_agents(
        &self,
        caller: &Caller,
        limit: usize,
    ) -> Result<Vec<(String, String, chrono::DateTime<chrono::Utc>)>> {
        let principal = caller.user()?;
        let mut agents = Runnable {
            seen: std::collections::HashSet::new(),
            agents: Vec::new(),
            limit,
        };
        for record in self
            .ports
            .agents
            .list_owned_agents(principal.user_id)
            .await?
        {
            agents.add(&record);
        }
        for saved in self
            .ports
            .library
            .list_saved_agents(principal.user_id)
            .await?
        {
            if may_see(caller, &saved.agent) {
                agents.add(&saved.agent);
            }
        }
        let mut start = PageStart::First;
        while agents.agents.len() < limit {
            let page = search::search(
                self.ports.index.as_ref(),
                &CatalogQuery {
                    text: None,
                    mode: SearchMode::Keyword,
                    embedding: None,
                    filters: CatalogFilters::default(),
                    sort: CatalogSort::MostUsed,
                    start,
                    limit: MAX_PAGE_SIZE,
                    facets: false,
                },
            )
            .await?;
            for card in self.ports.listings.agent_cards(&page.agent_ids).await? {
                agents.push(card.address, card.handle, card.published_at);
            }
            match page.next {
                Some(next) => start = next,
                None => break,
            }
        }
        Ok(agents.agents)
    }

    /// Adds an agent to the caller's library, optionally pinned to a version.
    pub async fn save(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        pinned: Option<i32>,
    ) -> Result<SavedView> {
        let principal = caller.user()?;
        let record = self.visible(caller, handle, slug).await?;
        if let Some(version) = pinned
            && self
                .ports
                .directory
                .find_version(record.id, version)
                .await?
                .is_none()
        {
            return Err(Error::invalid(
                "pinned_version",
                format!("this agent has no version {version}"),
            ));
        }
        self.ports
            .library
            .save_agent(principal.user_id, record.id, pinned)
            .await?;
        self.saved(caller)
            .await?
            .into_iter()
            .find(|saved| saved.address == format!("{handle}/{slug}"))
            .ok_or_else(|| Error::Internal("a saved agent is missing from the library".into()))
    }

    pub async fn unsave(&self, caller: &Caller, handle: &str, slug: &str) -> Result<()> {
        let principal = caller.user()?;
        let record = self
            .ports
            .directory
            .find_agent(handle, slug)
            .await?
            .ok_or_else(not_found)?;
        if !self
            .ports
            .library
            .unsave_agent(principal.user_id, record.id)
            .await?
        {
            return Err(Error::NotFound("This agent is not in your library.".into()));
        }
        Ok(())
    }

    /// The caller's library. Agents that became invisible stay listed by address only.
    pub async fn saved(&self, caller: &Caller) -> Result<Vec<SavedView>> {
        let principal = caller.user()?;
        let saved = self
            .ports
            .library
            .list_saved_agents(principal.user_id)
            .await?;
        let visible_ids: Vec<Uuid> = saved
            .iter()
            .filter(|s| may_see(caller, &s.agent))
            .map(|s| s.agent.id)
            .collect();
        let cards = self.ports.listings.agent_cards(&visible_ids).await?;
        Ok(saved
            .into_iter()
            .map(|SavedRecord { agent, pinned_version, saved_at }| {
                let visible = visible_ids.contains(&agent.id);
                let latest = if visible { agent.latest_version } else { None };
                SavedView {
                    card: cards
                        .iter()
                        .find(|card| card.id == agent.id)
                        .cloned()
                        .map(Into::into),
                    address: format!("{}/{}", agent.owner_handle, agent.slug),
                    pinned_version,
                    latest_version: latest,
                    newer_version_available: matches!((pinned_version, latest), (Some(pinned), Some(latest)) if latest > pinned),
                    saved_at,
                }
            })
            .collect())
    }
}

/// The runnable agents collected so far, each once, up to a limit.
pub(super) struct Runnable {
    seen: std::collections::HashSet<String>,
    agents: Vec<(String, String, chrono::DateTime<chrono::Utc>)>,
    limit: usize,
}

impl Runnable {
    pub(super) fn add(&mut self, record: &AgentRecord) {
        self.push(
            format!("{}/{}", record.owner_handle, record.slug),
            record.owner_handle.clone(),
            record.published_at.unwrap_or(record.created_at),
        );
    }

    pub(super) fn push(
        &mut self,
        address: String,
        handle: String,
        at: chrono::DateTime<chrono::Utc>,
    ) {
        if self.agents.len() < self.limit && self.seen.insert(address.clone()) {
            self.agents.push((address, handle, at));
        }
    }
}
