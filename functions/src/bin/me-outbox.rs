//! Lambda function `me-outbox`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("me-outbox")
}
