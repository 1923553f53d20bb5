//! Lambda function `auth-verify-email`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("auth-verify-email")
}
