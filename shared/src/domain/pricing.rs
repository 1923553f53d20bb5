//! What model tokens cost, from a versioned price table: every run records the table
//! version it was priced with, so a past charge can always be explained and recomputed.
//!
//! One credit is one US dollar of model usage; prices are micro-credits per million
//! tokens, and a cost is rounded up to the next micro-credit.

use super::llm::Usage;
use super::models::Provider;

/// A model's price per million tokens, in micro-credits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelPrice {
    pub provider: Provider,
    pub model: &'static str,
    pub input_per_million: i64,
    pub output_per_million: i64,
}

/// A dated set of prices.
#[derive(Clone, Copy, Debug)]
pub struct PriceTable {
    /// Stored on every run (`2026-11-01`).
    pub version: &'static str,
    pub prices: &'static [ModelPrice],
}

const fn price(provider: Provider, model: &'static str, input: i64, output: i64) -> ModelPrice {
    ModelPrice {
        provider,
        model,
        input_per_million: input,
        output_per_million: output,
    }
}

/// The prices runs are charged with now.
pub const CURRENT: PriceTable = PriceTable {
    version: "2026-11-01",
    prices: &[
        price(Provider::Openai, "gpt-4o", 2_500_000, 10_000_000),
        price(Provider::Openai, "gpt-4o-mini", 150_000, 600_000),
        price(Provider::Openai, "gpt-4.1", 2_000_000, 8_000_000),
        price(Provider::Openai, "gpt-4.1-mini", 400_000, 1_600_000),
        price(Provider::Openai, "gpt-4.1-nano", 100_000, 400_000),
        price(Provider::Openai, "o4-mini", 1_100_000, 4_400_000),
        price(
            Provider::Anthropic,
            "claude-opus-4-1",
            15_000_000,
            75_000_000,
        ),
        price(
            Provider::Anthropic,
            "claude-sonnet-4-5",
            3_000_000,
            15_000_000,
        ),
        price(
            Provider::Anthropic,
            "claude-3-5-haiku-latest",
            800_000,
            4_000_000,
        ),
        price(
            Provider::Bedrock,
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            800_000,
            4_000_000,
        ),
        price(
            Provider::Bedrock,
            "amazon.nova-pro-v1:0",
            800_000,
            3_200_000,
        ),
        price(Provider::Bedrock, "amazon.nova-lite-v1:0", 60_000, 240_000),
        price(
            Provider::Bedrock,
            "meta.llama3-1-70b-instruct-v1:0",
            720_000,
            720_000,
        ),
        // The offline model costs a token price too, so billing is visible (and tested)
        // without any provider.
        price(Provider::Agora, "echo", 100_000, 200_000),
    ],
};

impl PriceTable {
    /// The price of a model; `None` for models the platform does not pay for (a creator's
    /// own OpenAI-compatible endpoint).
    pub fn find(&self, provider: Provider, model: &str) -> Option<&ModelPrice> {
        self.prices
            .iter()
            .find(|price| price.provider == provider && price.model == model)
    }
}

impl ModelPrice {
    /// What `usage` costs, in micro-credits, rounded up.
    pub fn cost(&self, usage: &Usage) -> i64 {
        let input = i128::from(usage.input_tokens) * i128::from(self.input_per_million);
        let output = i128::from(usage.output_tokens) * i128::from(self.output_per_million);
        let micros = (input + output + 999_999) / 1_000_000;
        i64::try_from(micros).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::models;

    #[test]
    fn every_known_model_has_a_price() {
        for model in models::MODELS {
            assert!(
                CURRENT.find(model.provider, model.name).is_some(),
                "{} {}",
                model.provider.as_str(),
                model.name
            );
        }
    }

    #[test]
    fn costs_round_up_to_the_next_micro_credit() {
        let mini = CURRENT.find(Provider::Openai, "gpt-4o-mini").unwrap();
        let usage = Usage {
            input_tokens: 1_000,
            output_tokens: 500,
        };
        // 1000 × 0.15 + 500 × 0.6 = 450 micro-credits exactly.
        assert_eq!(mini.cost(&usage), 450);
        let one = Usage {
            input_tokens: 1,
            output_tokens: 0,
        };
        assert_eq!(mini.cost(&one), 1, "0.15 of a micro-credit rounds up");
        assert_eq!(mini.cost(&Usage::default()), 0);
    }

    proptest! {
        #[test]
        fn cost_grows_with_tokens(input in 0u64..10_000_000, output in 0u64..10_000_000, more in 1u64..1000) {
            let opus = CURRENT.find(Provider::Anthropic, "claude-opus-4-1").unwrap();
            let base = opus.cost(&Usage { input_tokens: input, output_tokens: output });
            let bigger = opus.cost(&Usage { input_tokens: input + more, output_tokens: output + more });
            prop_assert!(bigger > base);
            prop_assert!(base >= 0);
        }
    }
}
