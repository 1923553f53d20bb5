//! Lambda function `reviews-reply`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::reviews_reply as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
