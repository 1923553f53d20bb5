//! Lambda function `rotate-signing-key`: rotates the access-token signing keys on a
//! schedule (EventBridge), one step per run.

fn main() -> std::process::ExitCode {
    agora::lambda::main("rotate-signing-key")
}
