//! Lambda function `chat-completions`: its route alone, with the adapters its route needs.

fn main() -> std::process::ExitCode {
    use agora::api::functions::chat_completions as function;
    agora::lambda::serve_route::<{ function::NEEDS.bits() }>(function::route)
}
