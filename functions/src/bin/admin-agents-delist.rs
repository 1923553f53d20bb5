//! Lambda function `admin-agents-delist`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::admin_agents_delist as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
