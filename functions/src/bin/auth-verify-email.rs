//! Lambda function `auth-verify-email`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::auth_verify_email as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
