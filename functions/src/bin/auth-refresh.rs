//! Lambda function `auth-refresh`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("auth-refresh")
}
