//! Lambda function `rotate-signing-key`: serves its scheduled event (EventBridge).

fn main() -> std::process::ExitCode {
    agora::lambda::serve_key_rotation()
}
