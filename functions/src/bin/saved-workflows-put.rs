//! Lambda function `saved-workflows-put`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::saved_workflows_put as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
