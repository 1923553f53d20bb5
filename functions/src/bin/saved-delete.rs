//! Lambda function `saved-delete`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::saved_delete as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
