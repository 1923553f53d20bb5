//! Lambda function `workflows-update`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::workflows_update as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
