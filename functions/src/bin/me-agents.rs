//! Lambda function `me-agents`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::me_agents as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
