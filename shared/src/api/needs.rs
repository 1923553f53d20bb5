//! What a function reaches outside its own process, each granted to its function by one
//! policy in `template.yaml`. Routes declare theirs in the route table, event functions in
//! [`crate::lambda::event_function_needs`]; a template test fails when a function's
//! policies grant more or less.
//!
//! The cache is not here: it is reached over the network with one AUTH token, which every
//! function holds (ElastiCache grants no per-function access).

/// One thing a function may touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Need {
    /// The application database, as its least-privileged role (`DatabaseConnectPolicy`).
    Database,
    /// The public half of the signing keys, to verify access tokens
    /// (`VerificationKeysReadPolicy`).
    VerificationKeys,
    /// The signing keys themselves, to mint access tokens (`AuthKeysReadPolicy`).
    SigningKeys,
    /// Writing the signing keys: the rotation schedule (`SigningKeysRotatePolicy`).
    RotateSigningKeys,
    /// Agora's own model-provider API keys (`ProviderKeysSecretReadPolicy`).
    AgoraProviderKeys,
    /// Unwrapping users' saved provider keys with the KMS key (`ProviderKeysUsePolicy`).
    SavedKeysDecrypt,
    /// Wrapping newly saved provider keys (`ProviderKeysWritePolicy`).
    SavedKeysEncrypt,
    /// Bedrock models (`BedrockInvokePolicy`).
    Bedrock,
    /// Idempotency-Key records (`IdempotencyTablePolicy`).
    IdempotencyTable,
    /// Uploaded files in the bucket (`BlobsAccessPolicy`).
    Uploads,
    /// Sending workflow steps (`WorkflowQueueSendPolicy`).
    WorkflowQueue,
    /// Receiving them: the workflow worker (SAM's `SQSPollerPolicy`).
    WorkflowQueueReceive,
    /// The catalog's search domain (`SearchAccessPolicy`).
    Search,
    /// Email through SES (`SendEmailPolicy`).
    Mail,
    /// Describing the key, table and queue: the health check's probes (`HealthProbePolicy`).
    DescribeDependencies,
    /// The database owner's login: the migrate function (an inline statement).
    DatabaseOwner,
}

impl Need {
    /// Every need, in declaration order.
    pub const ALL: [Need; 16] = [
        Need::Database,
        Need::VerificationKeys,
        Need::SigningKeys,
        Need::RotateSigningKeys,
        Need::AgoraProviderKeys,
        Need::SavedKeysDecrypt,
        Need::SavedKeysEncrypt,
        Need::Bedrock,
        Need::IdempotencyTable,
        Need::Uploads,
        Need::WorkflowQueue,
        Need::WorkflowQueueReceive,
        Need::Search,
        Need::Mail,
        Need::DescribeDependencies,
        Need::DatabaseOwner,
    ];

    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// A set of needs that is known at compile time: a function's binary builds its adapters
/// from it as a const generic (`NeedSet::bits`), so the adapters it does not need are
/// never referenced and the linker leaves them out of the binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NeedSet(u32);

impl NeedSet {
    pub const NONE: Self = Self(0);
    /// Everything: the local server, the CLI and the tests.
    pub const ALL: Self = Self::of(&Need::ALL);

    pub const fn of(needs: &[Need]) -> Self {
        Self::NONE.with(needs)
    }

    pub const fn with(self, needs: &[Need]) -> Self {
        let mut bits = self.0;
        let mut at = 0;
        while at < needs.len() {
            bits |= needs[at].bit();
            at += 1;
        }
        Self(bits)
    }

    pub const fn without(self, need: Need) -> Self {
        Self(self.0 & !need.bit())
    }

    pub const fn contains(self, need: Need) -> bool {
        self.0 & need.bit() != 0
    }

    pub const fn contains_any(self, needs: &[Need]) -> bool {
        self.0 & Self::of(needs).0 != 0
    }

    /// The set as a const generic argument.
    pub const fn bits(self) -> u32 {
        self.0
    }

    pub const fn from_bits(bits: u32) -> Self {
        Self(bits & Self::ALL.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Need> {
        Need::ALL
            .into_iter()
            .filter(move |need| self.contains(*need))
    }
}

/// What every route's function needs unless its route says otherwise: it reads and writes
/// the database, and checks the caller's token.
pub const ROUTE: NeedSet = NeedSet::of(&[Need::Database, Need::VerificationKeys]);

/// A route that mints access tokens: its function alone (with the other sign-in routes)
/// may read the signing keys; it has no use for their public half.
pub const SIGNS_IN: NeedSet = ROUTE
    .without(Need::VerificationKeys)
    .with(&[Need::SigningKeys]);

/// A route that searches or changes the catalog's search index (OpenSearch in AWS).
pub const SEARCHES: NeedSet = ROUTE.with(&[Need::Search]);

/// A route that checks, stores or serves uploaded files.
pub const UPLOADS: NeedSet = ROUTE.with(&[Need::Uploads]);

/// A route that runs agents: model providers through Agora's keys, the user's own keys or
/// Bedrock, under an Idempotency-Key.
pub const RUNS_AGENTS: NeedSet = ROUTE.with(&[
    Need::AgoraProviderKeys,
    Need::SavedKeysDecrypt,
    Need::Bedrock,
    Need::IdempotencyTable,
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_holds_what_it_was_built_with_and_nothing_else() {
        let set = ROUTE.with(&[Need::Mail]).without(Need::Database);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Need::VerificationKeys, Need::Mail]
        );
        assert!(set.contains_any(&[Need::Uploads, Need::Mail]));
        assert!(!set.contains_any(&[Need::Uploads, Need::Search]));
        assert_eq!(NeedSet::from_bits(set.bits()), set);
        assert_eq!(NeedSet::ALL.iter().count(), Need::ALL.len());
    }

    #[test]
    fn signing_in_trades_the_public_keys_for_the_signing_keys() {
        assert!(SIGNS_IN.contains(Need::SigningKeys));
        assert!(!SIGNS_IN.contains(Need::VerificationKeys));
        assert!(SIGNS_IN.contains(Need::Database));
    }
}
