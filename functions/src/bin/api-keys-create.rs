//! Lambda function `api-keys-create`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::api_keys_create as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
