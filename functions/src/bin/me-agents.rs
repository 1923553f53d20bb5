//! Lambda function `me-agents`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("me-agents")
}
