//! Lambda function `auth-logout`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::auth_logout as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
