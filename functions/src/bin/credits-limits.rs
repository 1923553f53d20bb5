//! Lambda function `credits-limits`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::credits_limits as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
