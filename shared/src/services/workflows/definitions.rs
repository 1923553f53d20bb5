//! Workflow definitions: validation with the worst-case cost, drafts, numbered versions,
//! listings, users' libraries and forks. Who may see what is decided here, from the caller.

use std::collections::BTreeMap;

use serde_json::Value;
use uuid::Uuid;

use crate::{
    Error, Result,
    domain::FieldError,
    domain::{
        AgentAddress, Caller, VersionChoice,
        workflow::{Action, AgentCall, Reference, Template, WorkflowPlan, WorkflowSpec},
    },
    ports::{NewWorkflow, SavedWorkflowRecord, Visibility, WorkflowQuery, WorkflowRecord},
    services::runs::RunTarget,
};

use super::{
    AgentUse, SavedWorkflow, StepEstimate, WorkflowEstimate, WorkflowService, WorkflowView,
    credits, views::WorkflowVersionView,
};

impl WorkflowService {
    // ---- definitions ---------------------------------------------------------------------

    /// Checks a definition completely — shapes, references, cycles, types, the agents and
    /// versions it names and whether the caller may run them, their input fields — and
    /// computes its worst-case cost. Every failure at once, each at its JSON path.
    pub async fn validate(&self, caller: &Caller, spec: &WorkflowSpec) -> Result<WorkflowEstimate> {
        caller.user()?;
        let plan = spec.plan().map_err(Error::Validation)?;
        self.estimate(caller, spec, &plan, None).await
    }

    pub(super) async fn estimate(
        &self,
        caller: &Caller,
        spec: &WorkflowSpec,
        plan: &WorkflowPlan,
        inputs: Option<&BTreeMap<String, Value>>,
    ) -> Result<WorkflowEstimate> {
        let mut errors = Vec::new();
        let mut targets: BTreeMap<(String, i32), RunTarget> = BTreeMap::new();
        for (index, step) in spec.steps.iter().enumerate() {
            let Some(call) = step.agent_call() else {
                continue;
            };
            let at = match step.action() {
                Some(Action::Map(_)) => format!("steps[{index}].map.agent"),
                _ => format!("steps[{index}].agent"),
            };
            let key = (call.agent.clone(), call.version);
            if !targets.contains_key(&key) {
                match self.resolve_agent(caller, call).await {
                    Ok(target) => {
                        targets.insert(key.clone(), target);
                    }
                    Err(Error::NotFound(message)) => {
                        errors.push(FieldError {
                            field: format!("{at}.ref"),
                            message,
                        });
                        continue;
                    }
                    Err(Error::Validation(found)) => {
                        errors.extend(found.into_iter().map(|error| FieldError {
                            field: format!("{at}.{}", error.field),
                            message: error.message,
                        }));
                        continue;
                    }
                    Err(other) => return Err(other),
                }
            }
            if let Some(target) = targets.get(&key) {
                check_agent_inputs(&mut errors, &at, call, target);
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }

        // Bounds: an agent's answer is at most its max_tokens, 4 bytes per token.
        let mut answers: BTreeMap<String, u32> = BTreeMap::new();
        for step in &spec.steps {
            if let Some(call) = step.agent_call()
                && let Some(target) = targets.get(&(call.agent.clone(), call.version))
            {
                let max_tokens = target
                    .spec
                    .model
                    .parameters
                    .max_tokens
                    .unwrap_or(self.ports.runs.settings().default_max_tokens);
                answers.insert(step.id.clone(), max_tokens);
            }
        }
        let mut bounds = spec.value_bounds(plan, |step| {
            u64::from(answers.get(&step.id).copied().unwrap_or(0)) * 4
        });
        if let Some(inputs) = inputs {
            for (name, value) in inputs {
                let size = match value {
                    Value::String(text) => text.len(),
                    other => other.to_string().len(),
                } as u64;
                bounds.insert(format!("inputs.{name}"), size);
            }
        }
        let mut steps = Vec::new();
        let mut total: i64 = 0;
        for &index in &plan.order {
            let step = &spec.steps[index];
            let (worst, share) = match (step.action(), step.agent_call()) {
                (Some(action), Some(call)) => {
                    let Some(target) = targets.get(&(call.agent.clone(), call.version)) else {
                        continue;
                    };
                    let mut item_bounds = bounds.clone();
                    let items = match action {
                        Action::Map(map) => {
                            let over = Reference::parse(&map.over)
                                .map(|reference| match reference {
                                    Reference::Input { name, .. } => format!("inputs.{name}"),
                                    Reference::StepOutput { step, .. } => {
                                        format!("steps.{step}.output")
                                    }
                                    Reference::Item { .. } => String::new(),
                                })
                                .unwrap_or_default();
                            let whole = bounds.get(&over).copied().unwrap_or(0);
                            item_bounds.insert("item".into(), whole);
                            i64::from(map.max_items)
                        }
                        _ => 1,
                    };
                    let prompt = call_bound(spec, call, &item_bounds);
                    let (per_run, _) = self.ports.runs.worst_case(caller, target, prompt).await?;
                    let price = if caller.user_id() == Some(target.record.owner_id) {
                        0
                    } else {
                        target.spec.price_per_run.micros()
                    };
                    (per_run.saturating_mul(items), price.saturating_mul(items))
                }
                _ => (0, 0),
            };
            total = total.saturating_add(worst);
            steps.push(StepEstimate {
                step: step.id.clone(),
                worst_case: credits(worst),
                creators_share: credits(share),
            });
        }
        let agents = targets
            .iter()
            .map(|((agent, version), target)| AgentUse {
                agent: agent.clone(),
                version: *version,
                name: Some(target.spec.name.clone()),
                price_per_run: Some(target.spec.price_per_run),
            })
            .collect();
        Ok(WorkflowEstimate {
            worst_case: credits(total),
            steps,
            agents,
            order: plan
                .order
                .iter()
                .map(|index| spec.steps[*index].id.clone())
                .collect(),
        })
    }

    /// The agent version a step names, if the caller may run it (published versions only:
    /// a workflow pins what it runs).
    pub(super) async fn resolve_agent(
        &self,
        caller: &Caller,
        call: &AgentCall,
    ) -> Result<RunTarget> {
        let Ok(agent) = AgentAddress::parse(&call.agent) else {
            return Err(Error::NotFound(format!(
                "`{}` is not an agent address; write handle/slug",
                call.agent
            )));
        };
        if call.version < 1 {
            return Err(Error::invalid(
                "version",
                "must be a published version, 1 or more",
            ));
        }
        self.ports
            .runs
            .resolve(caller, &agent.at(VersionChoice::Number(call.version)))
            .await
            .map_err(|error| match error {
                Error::NotFound(_) => Error::NotFound(format!(
                    "{}@{} is not an agent version you may run",
                    call.agent, call.version
                )),
                other => other,
            })
    }

    pub async fn create(
        &self,
        caller: &Caller,
        slug: &str,
        visibility: Visibility,
        spec: WorkflowSpec,
    ) -> Result<WorkflowView> {
        let owner_id = caller.user()?.user_id;
        check_slug(slug)?;
        spec.plan().map_err(Error::Validation)?;
        let id = Uuid::now_v7();
        self.ports
            .store
            .create_workflow(&NewWorkflow {
                id,
                owner_id,
                slug: slug.to_owned(),
                visibility,
                draft: spec,
                forked_from: None,
            })
            .await?;
        let record = self.created(id).await?;
        self.view(caller, record).await
    }

    /// A workflow the caller may see, as they may see it.
    pub async fn get(&self, caller: &Caller, handle: &str, slug: &str) -> Result<WorkflowView> {
        let record = self.visible(caller, handle, slug).await?;
        self.view(caller, record).await
    }

    pub async fn versions(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
    ) -> Result<Vec<WorkflowVersionView>> {
        let record = self.visible(caller, handle, slug).await?;
        let versions = self.ports.store.list_workflow_versions(record.id).await?;
        Ok(versions.into_iter().map(Into::into).collect())
    }

    pub async fn update(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        spec: Option<WorkflowSpec>,
        visibility: Option<Visibility>,
    ) -> Result<WorkflowView> {
        let record = self.owned(caller, handle, slug).await?;
        let spec = spec.unwrap_or_else(|| record.draft.clone());
        spec.plan().map_err(Error::Validation)?;
        self.ports
            .store
            .update_workflow(record.id, &spec, visibility.unwrap_or(record.visibility))
            .await?;
        let record = self.owned(caller, handle, slug).await?;
        self.view(caller, record).await
    }

    /// Publishes the draft as the next version, after the full validation.
    pub async fn publish(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        changelog: &str,
    ) -> Result<WorkflowView> {
        let record = self.owned(caller, handle, slug).await?;
        if changelog.chars().count() > 2000 {
            return Err(Error::invalid(
                "changelog",
                "must be at most 2,000 characters",
            ));
        }
        self.validate(caller, &record.draft).await?;
        self.ports
            .store
            .publish_workflow(record.id, changelog)
            .await?;
        let record = self.owned(caller, handle, slug).await?;
        self.view(caller, record).await
    }

    /// Copies a workflow the caller may see into their own drafts.
    pub async fn fork(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
        new_slug: Option<&str>,
    ) -> Result<WorkflowView> {
        let owner_id = caller.user()?.user_id;
        let original = self.visible(caller, handle, slug).await?;
        let spec = self.visible_spec(caller, &original).await?;
        let slug = new_slug.unwrap_or(&original.slug);
        check_slug(slug)?;
        let id = Uuid::now_v7();
        self.ports
            .store
            .create_workflow(&NewWorkflow {
                id,
                owner_id,
                slug: slug.to_owned(),
                visibility: Visibility::Private,
                draft: spec,
                forked_from: Some(original.id),
            })
            .await?;
        let record = self.created(id).await?;
        self.view(caller, record).await
    }

    /// Published workflows (matching `text`), or with `mine` all of the caller's.
    pub async fn list(
        &self,
        caller: &Caller,
        text: Option<String>,
        mine: bool,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<WorkflowView>> {
        let owner_id = if mine {
            Some(caller.user()?.user_id)
        } else {
            None
        };
        let records = self
            .ports
            .store
            .list_workflows(&WorkflowQuery {
                text: text.filter(|text| !text.trim().is_empty()),
                owner_id,
                include_unlisted: false,
                limit,
                offset,
            })
            .await?;
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            views.push(self.view_without_agents(caller, record).await?);
        }
        Ok(views)
    }

    // ---- the library ---------------------------------------------------------------------

    /// Adds a workflow the caller may see to their library; saving it again changes nothing.
    pub async fn save(&self, caller: &Caller, handle: &str, slug: &str) -> Result<SavedWorkflow> {
        let user_id = caller.user()?.user_id;
        let record = self.visible(caller, handle, slug).await?;
        let saved_at = self.ports.library.save_workflow(user_id, record.id).await?;
        let record = self.created(record.id).await?;
        Ok(SavedWorkflow {
            workflow: self.view_without_agents(caller, record).await?,
            saved_at,
        })
    }

    pub async fn unsave(&self, caller: &Caller, handle: &str, slug: &str) -> Result<()> {
        let user_id = caller.user()?.user_id;
        let not_saved = || Error::NotFound("This workflow is not in your library.".into());
        let record = self
            .ports
            .store
            .find_workflow(handle, slug)
            .await?
            .ok_or_else(not_saved)?;
        if self
            .ports
            .library
            .unsave_workflow(user_id, record.id)
            .await?
        {
            Ok(())
        } else {
            Err(not_saved())
        }
    }

    /// The caller's library, most recently saved first. A workflow its owner has made
    /// private since stays saved but is left out (the store's rule) until it is shared
    /// again.
    pub async fn saved(
        &self,
        caller: &Caller,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<SavedWorkflow>> {
        let user_id = caller.user()?.user_id;
        let records = self
            .ports
            .library
            .list_saved_workflows(user_id, limit, offset)
            .await?;
        let mut saved = Vec::with_capacity(records.len());
        for SavedWorkflowRecord { workflow, saved_at } in records {
            saved.push(SavedWorkflow {
                workflow: self.view_without_agents(caller, workflow).await?,
                saved_at,
            });
        }
        Ok(saved)
    }

    pub(super) async fn visible(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
    ) -> Result<WorkflowRecord> {
        let record = self
            .ports
            .store
            .find_workflow(handle, slug)
            .await?
            .ok_or_else(workflow_not_found)?;
        if may_see(caller, &record) {
            Ok(record)
        } else {
            Err(workflow_not_found())
        }
    }

    pub(super) async fn created(&self, id: Uuid) -> Result<WorkflowRecord> {
        self.ports
            .store
            .find_workflow_by_id(id)
            .await?
            .ok_or_else(|| Error::Internal("a created workflow vanished".into()))
    }

    pub(super) async fn owned(
        &self,
        caller: &Caller,
        handle: &str,
        slug: &str,
    ) -> Result<WorkflowRecord> {
        let user_id = caller.user()?.user_id;
        let record = self.visible(caller, handle, slug).await?;
        if record.owner_id == user_id {
            Ok(record)
        } else {
            Err(Error::Forbidden(
                "Only the workflow's owner can change it.".into(),
            ))
        }
    }

    pub(super) async fn visible_spec(
        &self,
        caller: &Caller,
        record: &WorkflowRecord,
    ) -> Result<WorkflowSpec> {
        if caller.user_id() == Some(record.owner_id) {
            return Ok(record.draft.clone());
        }
        let version = record.latest_version.ok_or_else(workflow_not_found)?;
        Ok(self
            .ports
            .store
            .find_workflow_version(record.id, version)
            .await?
            .ok_or_else(workflow_not_found)?
            .spec)
    }

    pub(super) async fn view(
        &self,
        caller: &Caller,
        record: WorkflowRecord,
    ) -> Result<WorkflowView> {
        let mut view = self.view_without_agents(caller, record).await?;
        let mut agents = Vec::new();
        for (agent, version) in view.spec.agents() {
            let call = AgentCall {
                agent: agent.clone(),
                version,
                prompt: String::new(),
                inputs: BTreeMap::new(),
            };
            let target = self.resolve_agent(caller, &call).await.ok();
            agents.push(AgentUse {
                agent,
                version,
                name: target.as_ref().map(|target| target.spec.name.clone()),
                price_per_run: target.as_ref().map(|target| target.spec.price_per_run),
            });
        }
        view.agents = agents;
        Ok(view)
    }

    pub(super) async fn view_without_agents(
        &self,
        caller: &Caller,
        record: WorkflowRecord,
    ) -> Result<WorkflowView> {
        let spec = self.visible_spec(caller, &record).await?;
        let agents = spec
            .agents()
            .into_iter()
            .map(|(agent, version)| AgentUse {
                agent,
                version,
                name: None,
                price_per_run: None,
            })
            .collect();
        Ok(WorkflowView {
            address: format!("{}/{}", record.owner_handle, record.slug),
            is_owner: caller.user_id() == Some(record.owner_id),
            owner_handle: record.owner_handle,
            slug: record.slug,
            visibility: record.visibility,
            status: record.status,
            latest_version: record.latest_version,
            spec,
            agents,
            forked_from: record.forked_from,
            fork_count: record.fork_count,
            run_count: record.run_count,
            save_count: record.save_count,
            updated_at: record.updated_at,
        })
    }
}

/// The most bytes an agent call's prompt and inputs render to.
pub(super) fn call_bound(
    spec: &WorkflowSpec,
    call: &AgentCall,
    bounds: &BTreeMap<String, u64>,
) -> u64 {
    spec.template_bound(&call.prompt, bounds)
        + call
            .inputs
            .values()
            .map(|text| spec.template_bound(text, bounds))
            .sum::<u64>()
}

/// The agent's input fields: known names only, required ones given, numbers and booleans
/// fed something that can be one.
pub(super) fn check_agent_inputs(
    errors: &mut Vec<FieldError>,
    at: &str,
    call: &AgentCall,
    target: &RunTarget,
) {
    use crate::domain::agent::InputKind;
    for name in call.inputs.keys() {
        if !target.spec.inputs.iter().any(|field| &field.name == name) {
            errors.push(FieldError {
                field: format!("{at}.inputs.{name}"),
                message: format!(
                    "{}@{} has no input field `{name}`",
                    call.agent, call.version
                ),
            });
        }
    }
    for field in &target.spec.inputs {
        let Some(text) = call.inputs.get(&field.name) else {
            if field.required {
                errors.push(FieldError {
                    field: format!("{at}.inputs.{}", field.name),
                    message: format!("is required by {}@{}", call.agent, call.version),
                });
            }
            continue;
        };
        let Ok(template) = Template::parse(text) else {
            continue;
        };
        if template.references().next().is_some() {
            continue;
        }
        let literal = text.trim();
        let fits = match field.kind {
            InputKind::Number => literal.parse::<f64>().is_ok(),
            InputKind::Boolean => matches!(literal, "true" | "false"),
            InputKind::Select => field.options.iter().any(|option| option == literal),
            InputKind::Text | InputKind::LongText => true,
        };
        if !fits {
            errors.push(FieldError {
                field: format!("{at}.inputs.{}", field.name),
                message: match field.kind {
                    InputKind::Number => "must be a number".into(),
                    InputKind::Boolean => "must be true or false".into(),
                    _ => format!("must be one of {}", field.options.join(", ")),
                },
            });
        }
    }
}

pub(super) fn check_slug(slug: &str) -> Result<()> {
    crate::domain::Slug::parse(slug)
        .map(|_| ())
        .map_err(|message| Error::invalid("slug", message))
}

/// Its owner sees a workflow always; others once it is published and not private.
pub(super) fn may_see(caller: &Caller, record: &WorkflowRecord) -> bool {
    record.exposure().visible_to(caller)
}

pub(super) fn workflow_not_found() -> Error {
    Error::NotFound("No workflow you may see has this address.".into())
}
