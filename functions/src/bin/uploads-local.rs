//! Lambda function `uploads-local`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::uploads_local as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
