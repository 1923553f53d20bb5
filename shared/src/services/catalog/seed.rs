//! Content for new installs and benchmarks: the demo agents a fresh local install shows
//! (`shared/seed/demo-agents.json`, clearly marked demo), and N synthetic agents with
//! realistic, varied listings for `bench/catalog`.

use serde::Deserialize;
use uuid::Uuid;

use super::CatalogService;
use crate::{
    Error, Result,
    domain::{AgentSpec, Slug},
    ports::{CatalogEntry, SeedAgent},
};

/// Agents are inserted, embedded and indexed this many at a time.
const BATCH: usize = 500;

/// The demo content compiled into the binary.
#[derive(Debug, Deserialize)]
pub struct DemoContent {
    pub creator: DemoCreator,
    pub agents: Vec<DemoAgent>,
}

#[derive(Debug, Deserialize)]
pub struct DemoCreator {
    pub handle: String,
    pub display_name: String,
    pub bio: String,
}

#[derive(Debug, Deserialize)]
pub struct DemoAgent {
    pub slug: String,
    pub definition: AgentSpec,
}

impl DemoContent {
    pub fn load() -> Result<Self> {
        serde_json::from_str(include_str!("../../../seed/demo-agents.json"))
            .map_err(|error| Error::Internal(format!("the demo content does not parse: {error}")))
    }

    pub fn seed_agents(&self) -> Result<Vec<SeedAgent>> {
        self.agents
            .iter()
            .map(|agent| {
                Ok(SeedAgent {
                    id: Uuid::now_v7(),
                    slug: Slug::parse(&agent.slug).map_err(Error::Internal)?,
                    spec: agent.definition.clone(),
                    is_demo: true,
                })
            })
            .collect()
    }
}

impl CatalogService {
    /// Publishes `agents` for `owner_id` (skipping slugs it has), embedding and indexing
    /// them in batches; `progress` hears the running count. Returns how many were new.
    pub async fn seed(
        &self,
        owner_id: Uuid,
        agents: Vec<SeedAgent>,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<usize> {
        let mut created = 0;
        for batch in agents.chunks(BATCH) {
            for agent in batch {
                let errors = agent.spec.validate();
                if !errors.is_empty() {
                    return Err(Error::Internal(format!(
                        "seed agent {} is invalid: {errors:?}",
                        agent.slug
                    )));
                }
            }
            let inserted = self
                .ports
                .agents
                .insert_published_agents(owner_id, batch)
                .await?;
            let new: Vec<&SeedAgent> = batch.iter().filter(|a| inserted.contains(&a.id)).collect();
            let texts: Vec<String> = new.iter().map(|a| a.spec.searchable_text()).collect();
            let embeddings = self.ports.embedder.embed(&texts).await?;
            let now = self.ports.clock.now();
            let entries: Vec<CatalogEntry> = new
                .iter()
                .zip(embeddings)
                .map(|(agent, embedding)| CatalogEntry {
                    agent_id: agent.id,
                    owner_id,
                    spec: agent.spec.clone(),
                    published_at: now,
                    embedding,
                })
                .collect();
            self.ports.index.index_agents(&entries).await?;
            created += entries.len();
            progress(created);
        }
        self.bump_generation().await;
        Ok(created)
    }
}

/// `count` synthetic agents, the same for the same `seed`: names, summaries, tags and
/// descriptions drawn from realistic vocabularies so filters, facets and search have
/// something to work with.
pub fn synthetic_agents(count: usize, seed: u64) -> Vec<SeedAgent> {
    /// Category, what the agent works on, the word in its name, its possible tags.
    const TOPICS: &[(&str, &str, &str, &[&str])] = &[
        (
            "writing",
            "blog posts",
            "Blog",
            &["blog", "seo", "editing", "copywriting"],
        ),
        (
            "coding",
            "code reviews",
            "Code",
            &["rust", "python", "typescript", "sql", "testing"],
        ),
        (
            "research",
            "literature reviews",
            "Research",
            &["papers", "citations", "summaries"],
        ),
        (
            "data",
            "spreadsheets",
            "Spreadsheet",
            &["csv", "pandas", "charts", "statistics"],
        ),
        (
            "business",
            "sales emails",
            "Sales",
            &["sales", "crm", "proposals", "pricing"],
        ),
        (
            "legal",
            "contracts",
            "Contract",
            &["contracts", "compliance", "gdpr", "policies"],
        ),
        (
            "education",
            "lesson plans",
            "Lesson",
            &["math", "physics", "history", "quizzes"],
        ),
        (
            "marketing",
            "ad campaigns",
            "Campaign",
            &["ads", "social", "newsletters", "branding"],
        ),
        (
            "productivity",
            "meeting notes",
            "Meeting",
            &["meetings", "planning", "email", "todo"],
        ),
        (
            "fun",
            "bedtime stories",
            "Story",
            &["stories", "games", "trivia", "jokes"],
        ),
    ];
    const VERBS: &[&str] = &[
        "Drafts",
        "Reviews",
        "Summarises",
        "Improves",
        "Explains",
        "Plans",
        "Checks",
        "Translates",
    ];
    const ADJECTIVES: &[&str] = &[
        "Quick", "Careful", "Friendly", "Expert", "Tiny", "Smart", "Patient", "Bold", "Calm",
        "Precise",
    ];
    const NOUNS: &[&str] = &[
        "Assistant",
        "Helper",
        "Coach",
        "Reviewer",
        "Writer",
        "Analyst",
        "Planner",
        "Tutor",
        "Editor",
        "Buddy",
    ];
    const AUDIENCES: &[&str] = &[
        "startups",
        "students",
        "small teams",
        "researchers",
        "lawyers",
        "marketers",
        "developers",
        "parents",
    ];
    const MODELS: &[(&str, &str)] = &[
        ("agora", "echo"),
        ("openai", "gpt-4o-mini"),
        ("anthropic", "claude-3-5-haiku-latest"),
        ("bedrock", "amazon.nova-lite-v1:0"),
    ];
    const LANGUAGES: &[&str] = &["en", "en", "en", "de", "fr", "es", "pt-BR"];
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move |n: usize| -> usize {
        // xorshift64*: deterministic, good enough to pick words.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    };
    (0..count)
        .filter_map(|index| {
            let (category, subject, word, tags) = TOPICS[next(TOPICS.len())];
            let name = format!("{} {word} {}", ADJECTIVES[next(ADJECTIVES.len())], NOUNS[next(NOUNS.len())]);
            let verb = VERBS[next(VERBS.len())];
            let audience = AUDIENCES[next(AUDIENCES.len())];
            let mut chosen: Vec<String> = vec![tags[next(tags.len())].to_owned(), tags[next(tags.len())].to_owned()];
            chosen.dedup();
            let (provider, model) = MODELS[next(MODELS.len())];
            let price = ["0", "0", "0.01", "0.05", "0.1", "0.5", "1"][next(7)];
            let spec: AgentSpec = serde_json::from_value(serde_json::json!({
                "format": "agora.agent/v1",
                "name": name,
                "summary": format!("{verb} {subject} for {audience}."),
                "description": format!("## {name}\n\n{verb} {subject} for {audience}: clear structure, concrete suggestions and a short checklist at the end."),
                "category": category,
                "tags": chosen,
                "language": LANGUAGES[next(LANGUAGES.len())],
                "system_prompt": format!("You help {audience} with {subject}."),
                "model": { "provider": provider, "name": model },
                "price_per_run": price,
                "licence": if next(4) == 0 { "sealed" } else { "open" },
            }))
            .ok()?;
            let slug = Slug::parse(&format!("synthetic-{index}")).ok()?;
            Some(SeedAgent {
                id: Uuid::now_v7(),
                slug,
                spec,
                is_demo: false,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_and_synthetic_agents_are_valid() {
        let demo = DemoContent::load().unwrap();
        assert!(demo.agents.len() >= 10);
        for agent in demo.seed_agents().unwrap() {
            assert_eq!(agent.spec.validate(), Vec::new(), "{}", agent.slug);
            assert!(agent.is_demo);
        }
        let synthetic = synthetic_agents(300, 7);
        assert_eq!(synthetic.len(), 300);
        for agent in &synthetic {
            assert_eq!(agent.spec.validate(), Vec::new(), "{}", agent.slug);
        }
        let again = synthetic_agents(300, 7);
        assert_eq!(
            synthetic[42].spec, again[42].spec,
            "the same seed gives the same agents"
        );
        let categories: std::collections::BTreeSet<&str> =
            synthetic.iter().map(|a| a.spec.category.as_str()).collect();
        assert_eq!(categories.len(), 10, "every category is used");
    }
}
