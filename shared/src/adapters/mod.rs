//! One module per backend; the only code that knows a backend exists.

pub mod argon2;
pub mod aws;
pub mod breaker;
pub mod dynamodb;
pub mod egress;
pub mod embedders;
pub mod kms;
pub mod llm;
pub mod local;
pub mod mcp;
pub mod not_reached;
pub mod opensearch;
pub mod postgres;
pub mod redis;
pub mod s3;
pub mod secrets;
pub mod ses;
pub mod sqs;
pub mod subsegments;
pub mod web_page;
