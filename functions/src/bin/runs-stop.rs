//! Lambda function `runs-stop`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::runs_stop as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
