//! A run's hold: the most it can cost, taken from the caller's balance before any model is
//! called, and what the answer must stay inside.

use uuid::Uuid;

use super::{RunTarget, providers, tools};
use crate::domain::llm::Usage;

/// The agent's price per run, which its owner never pays.
pub(super) fn agent_price(user_id: Uuid, target: &RunTarget) -> i64 {
    if user_id == target.record.owner_id {
        0
    } else {
        target.spec.price_per_run.micros()
    }
}

/// The hold of a run: the dearest model of its plan at full length, once per model call
/// the answer may make (`turns`), plus the agent's price.
pub(super) fn worst_case(
    plan: &[providers::PlannedModel],
    input_bound: u64,
    agent_price: i64,
    turns: u32,
) -> i64 {
    plan.iter()
        .map(|model| {
            model
                .cost(&Usage {
                    input_tokens: input_bound,
                    output_tokens: u64::from(model.max_tokens),
                })
                .saturating_mul(i64::from(turns.max(1)))
        })
        .max()
        .unwrap_or(0)
        .saturating_add(agent_price)
}

/// The input bound of an answer's last turn: the first turn's, plus every tool result the
/// run may take and each turn's output sent back. Each later turn is checked against the
/// hold before it starts, so a run stays inside its hold whatever this estimate misses.
pub(super) fn tool_turns_bound(input_bound: u64, turns: u32, max_tokens: u32) -> u64 {
    if turns <= 1 {
        return input_bound;
    }
    const FRAMING: u64 = 256;
    let results =
        (tools::MAX_TOOL_CALLS as u64).saturating_mul(tools::MAX_RESULT_CHARS as u64 * 4 + FRAMING);
    input_bound
        .saturating_add(results)
        .saturating_add(u64::from(turns).saturating_mul(u64::from(max_tokens) + FRAMING))
}
