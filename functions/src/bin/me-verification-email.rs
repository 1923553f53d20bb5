//! Lambda function `me-verification-email`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("me-verification-email")
}
