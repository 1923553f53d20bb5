//! Lambda function `maintenance`: serves its scheduled event (EventBridge).

fn main() -> std::process::ExitCode {
    agora::lambda::serve_maintenance()
}
