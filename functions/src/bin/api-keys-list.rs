//! Lambda function `api-keys-list`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("api-keys-list")
}
