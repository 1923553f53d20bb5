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

/// What every route's function needs unless its route says otherwise: it reads and writes
/// the database, and checks the caller's token.
pub const ROUTE_DEFAULT: [Need; 2] = [Need::Database, Need::VerificationKeys];

/// What a route that runs agents adds: model providers through Agora's keys, the user's
/// own keys or Bedrock, under an Idempotency-Key.
pub const RUNS_AGENTS: [Need; 4] = [
    Need::AgoraProviderKeys,
    Need::SavedKeysDecrypt,
    Need::Bedrock,
    Need::IdempotencyTable,
];
