//! Lambda function `agents-get`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::agents_get as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
