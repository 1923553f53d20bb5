//! Lambda function `auth-logout`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("auth-logout")
}
