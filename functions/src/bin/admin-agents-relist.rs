//! Lambda function `admin-agents-relist`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::admin_agents_relist as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
