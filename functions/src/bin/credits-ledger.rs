//! Lambda function `credits-ledger`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::credits_ledger as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
